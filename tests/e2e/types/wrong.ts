// A consumer that misreads one declared type: `tsc --strict` must reject it
// (types.test.mjs checks that it does, with this exact complaint), which
// shows the declarations in pkg/airlock.d.ts are real types, not `any`.

import { probe } from '../../../pkg/airlock.js';

export async function wrong(): Promise<string> {
  const result = await probe({ repository: '127.0.0.1:5000/dst/app' });
  const status: string = result.steps[0].status;
  return status;
}
