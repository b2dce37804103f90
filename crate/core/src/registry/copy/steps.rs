//! The order of the four steps: what each one queues, and when the next
//! one starts.

use super::events::{CopyEvent, CopyStep, ItemRef};
use super::state::{ItemState, Work};
use super::CopySession;

impl CopySession {
    fn enter_step(&mut self, step: CopyStep) {
        self.step = step;
        self.events.push_back(CopyEvent::StepStarted(step));
        match step {
            CopyStep::Upload if self.options.list_tags => {
                self.outstanding = 1;
                self.queue.push_back(Work::ListTags);
            }
            CopyStep::Upload => self.start_upload(),
            CopyStep::Verify => {
                let mut refs: Vec<ItemRef> = self
                    .items
                    .iter()
                    .filter(|(r, s)| matches!(r, ItemRef::Item(_)) && s.pushed)
                    .map(|(r, _)| *r)
                    .collect();
                refs.sort();
                self.outstanding = refs.len();
                for r in refs {
                    self.queue.push_back(Work::Verify(r));
                }
            }
            CopyStep::Locations => {
                let refs: Vec<ItemRef> = (0..self.plan.locations.len())
                    .map(ItemRef::Locations)
                    .collect();
                self.start_items(refs);
            }
            CopyStep::Tags => {
                self.outstanding = self.plan.tags.len();
                for i in 0..self.plan.tags.len() {
                    self.queue.push_back(Work::TagHead(i));
                }
            }
            CopyStep::Done => {}
        }
    }

    /// Step 1 proper: every item resolves its upload tag.
    pub(super) fn start_upload(&mut self) {
        let refs: Vec<ItemRef> = (0..self.plan.items.len()).map(ItemRef::Item).collect();
        self.start_items(refs);
    }

    fn start_items(&mut self, refs: Vec<ItemRef>) {
        self.outstanding = refs.len();
        for r in refs {
            self.items.insert(r, ItemState::new());
            self.queue.push_back(Work::ResolveTag(r));
        }
    }

    /// Starts the first step, and each next one once the current one has
    /// nothing outstanding, queued or running.
    pub(super) fn advance_steps(&mut self) {
        if !self.started {
            self.started = true;
            self.enter_step(CopyStep::Upload);
        }
        while self.error.is_none()
            && self.step != CopyStep::Done
            && self.outstanding == 0
            && self.queue.is_empty()
            && self.running.is_empty()
        {
            let next = match self.step {
                CopyStep::Upload => CopyStep::Verify,
                CopyStep::Verify => CopyStep::Locations,
                CopyStep::Locations => CopyStep::Tags,
                CopyStep::Tags | CopyStep::Done => CopyStep::Done,
            };
            self.enter_step(next);
        }
    }

    /// One unit of the current step finished.
    pub(super) fn unit_done(&mut self) {
        self.outstanding = self.outstanding.saturating_sub(1);
    }
}
