//! Go's `compress/flate` at `flate.BestSpeed` and `compress/gzip` around it
//! (Go 1.23: `compress/flate/deflatefast.go`, `deflate.go` (`encSpeed`),
//! `huffman_bit_writer.go`, `huffman_code.go`; `compress/gzip/gzip.go`),
//! reproduced bit for bit. A Go port with its tables, hence its length.
//!
//! Go changed the BestSpeed output in later releases (Go 1.27); this is the
//! Go 1.23 encoder imgpkg 0.43.1 was built with.
//!
//! go-containerregistry compresses every layer it builds from uncompressed
//! bytes (`partial.UncompressedToLayer`) with the standard library's
//! `compress/gzip` at level 1. Layer digests are digests of those gzip bytes,
//! so an image that must match imgpkg's digests needs exactly the same
//! DEFLATE stream, not merely an equivalent one.
//!
//! What Go does at level 1, and what this module reproduces:
//!
//! * Input is gathered into blocks of 65535 bytes (`maxStoreBlockSize`). The
//!   block boundaries depend only on the total length, never on how the
//!   writes were chunked, because level 1 only fills a window and compresses
//!   it when full or at `Close`.
//! * A full block (and a final partial one of 128 bytes or more) goes through
//!   the Snappy-style matcher (`DeflateFast`), which remembers the previous
//!   block so matches may reach back into it. If the matcher removed less
//!   than 1/16 of the tokens the block is Huffman-coded as plain literals
//!   (`writeBlockHuff`), otherwise with a dynamic Huffman table
//!   (`writeBlockDynamic`). Either falls back to a stored block when that is
//!   not smaller by a margin.
//! * A final block of 1..=16 bytes is stored; one of 17..=127 bytes is
//!   Huffman-coded as literals.
//! * `Close` ends the stream with an empty, final stored block.
//! * The gzip wrapper is 10 header bytes (no name, mtime 0, XFL 4, OS 255),
//!   the DEFLATE stream, CRC-32 and the length modulo 2^32.
//!
//! Huffman code lengths come from Go's own length-limited construction
//! (`huffman_code.go`), which differs from zlib's; ties are broken by symbol
//! value, so the result is fully determined by the frequencies.

/// Go's `maxStoreBlockSize`: the window size at level 1, and the largest
/// stored block.
const MAX_STORE_BLOCK_SIZE: usize = 65535;
const MAX_MATCH_OFFSET: i32 = 1 << 15;
const MAX_MATCH_LENGTH: usize = 258;
const BASE_MATCH_LENGTH: i32 = 3;
const BASE_MATCH_OFFSET: i32 = 1;

const MAX_NUM_LIT: usize = 286;
const OFFSET_CODE_COUNT: usize = 30;
const CODEGEN_CODE_COUNT: usize = 19;
const END_BLOCK_MARKER: u16 = 256;
const LENGTH_CODES_START: usize = 257;
/// Terminates the run-length encoded code-length sequence.
const BAD_CODE: u8 = 255;

/// RFC 1951 3.2.5: extra bits of length codes 257..=285.
const LENGTH_EXTRA_BITS: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// RFC 1951 3.2.5: the smallest `length - 3` of each length code.
const LENGTH_BASE: [u32; 29] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128,
    160, 192, 224, 255,
];
/// RFC 1951 3.2.5: extra bits of distance codes 0..=29.
const OFFSET_EXTRA_BITS: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// RFC 1951 3.2.5: the smallest `distance - 1` of each distance code.
const OFFSET_BASE: [u32; 30] = [
    0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536,
    2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576,
];
/// RFC 1951 3.2.7: the order in which code-length code lengths are sent.
const CODEGEN_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// Compresses `data` exactly as Go's `gzip.NewWriterLevel(w, gzip.BestSpeed)`
/// followed by `Write(data)` (in any chunking) and `Close()` does.
pub fn go_gzip_best_speed(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = GoGzipWriter::new();
    w.write(data, &mut out);
    w.finish(&mut out);
    out
}

/// The raw DEFLATE stream Go's `flate.NewWriter(w, flate.BestSpeed)` writes
/// for `data` up to and including `Close()`.
pub fn go_deflate_best_speed(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = GoDeflateWriter::new();
    w.write(data, &mut out);
    w.finish(&mut out);
    out
}

/// Go's `flate.NewWriter(w, flate.BestSpeed)` as a stream: the bytes it
/// appends to `out` across [`GoDeflateWriter::write`] calls and
/// [`GoDeflateWriter::finish`] are exactly [`go_deflate_best_speed`] of all
/// the input, however it is chunked. Holds at most one 64 KiB block of
/// input (plus the previous block, for matches), never the whole stream.
pub struct GoDeflateWriter {
    w: HuffmanBitWriter,
    fast: DeflateFast,
    tokens: Vec<Token>,
    /// Input not yet compressed: less than one block.
    window: Vec<u8>,
}

impl Default for GoDeflateWriter {
    fn default() -> Self {
        GoDeflateWriter::new()
    }
}

impl GoDeflateWriter {
    /// A writer at the start of a stream.
    pub fn new() -> GoDeflateWriter {
        GoDeflateWriter {
            w: HuffmanBitWriter::new(),
            fast: DeflateFast::new(),
            tokens: Vec::with_capacity(MAX_STORE_BLOCK_SIZE + 1),
            window: Vec::with_capacity(MAX_STORE_BLOCK_SIZE),
        }
    }

    /// Compresses `data`, appending whatever output is complete to `out`.
    pub fn write(&mut self, mut data: &[u8], out: &mut Vec<u8>) {
        while !data.is_empty() {
            if self.window.is_empty() && data.len() >= MAX_STORE_BLOCK_SIZE {
                let (block, rest) = data.split_at(MAX_STORE_BLOCK_SIZE);
                self.block(block);
                data = rest;
            } else {
                let take = (MAX_STORE_BLOCK_SIZE - self.window.len()).min(data.len());
                self.window.extend_from_slice(&data[..take]);
                data = &data[take..];
                if self.window.len() == MAX_STORE_BLOCK_SIZE {
                    let window = std::mem::take(&mut self.window);
                    self.block(&window);
                    self.window = window;
                    self.window.clear();
                }
            }
            out.append(&mut self.w.bits.out);
        }
    }

    /// Ends the stream (Go's `Close`), appending the rest of it to `out`.
    pub fn finish(mut self, out: &mut Vec<u8>) {
        let window = std::mem::take(&mut self.window);
        if !window.is_empty() {
            self.block(&window);
        }
        self.w.write_stored_header(0, true);
        self.w.bits.flush();
        out.append(&mut self.w.bits.out);
    }

    /// One block: full ones as they fill, a short one only at the end (Go
    /// sees it at `Close`).
    fn block(&mut self, block: &[u8]) {
        let n = block.len();
        if n < 128 {
            if n <= 16 {
                self.w.write_stored_block(block, false);
            } else {
                self.w.write_block_huff(false, block);
            }
            self.fast.reset();
            return;
        }
        self.tokens.clear();
        self.fast.encode(&mut self.tokens, block);
        if self.tokens.len() > n - (n >> 4) {
            self.w.write_block_huff(false, block);
        } else {
            self.w
                .write_block_dynamic(&mut self.tokens, false, Some(block));
        }
    }
}

/// Go's `gzip.NewWriterLevel(w, gzip.BestSpeed)` as a stream: the bytes
/// appended to `out` are exactly [`go_gzip_best_speed`] of all the input,
/// however it is chunked (Go's output does not depend on the chunking
/// either). Inputs of 4 GiB and more are fine: the trailer holds the length
/// modulo 2^32, as Go writes it.
pub struct GoGzipWriter {
    deflate: GoDeflateWriter,
    crc: u32,
    len: u64,
    header_written: bool,
}

impl Default for GoGzipWriter {
    fn default() -> Self {
        GoGzipWriter::new()
    }
}

impl GoGzipWriter {
    /// A writer at the start of a stream.
    pub fn new() -> GoGzipWriter {
        GoGzipWriter {
            deflate: GoDeflateWriter::new(),
            crc: !0,
            len: 0,
            header_written: false,
        }
    }

    fn header(&mut self, out: &mut Vec<u8>) {
        if !self.header_written {
            // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=4 (fastest) OS=255 (unknown).
            out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255]);
            self.header_written = true;
        }
    }

    /// Compresses `data`, appending whatever output is complete to `out`.
    pub fn write(&mut self, data: &[u8], out: &mut Vec<u8>) {
        self.header(out);
        self.crc = crc32_update(self.crc, data);
        self.len += data.len() as u64;
        self.deflate.write(data, out);
    }

    /// Ends the stream (Go's `Close`): the rest of the DEFLATE stream, then
    /// CRC-32 and length.
    pub fn finish(mut self, out: &mut Vec<u8>) {
        self.header(out);
        self.deflate.finish(out);
        out.extend_from_slice(&(!self.crc).to_le_bytes());
        out.extend_from_slice(&(self.len as u32).to_le_bytes());
    }
}

// ---------------------------------------------------------------------------
// Tokens

/// A literal byte (or the end-of-block marker 256), or a back reference
/// stored as `length - 3` and `distance - 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Literal(u16),
    Match { xlength: u32, xoffset: u32 },
}

/// Length code index (0..=28) of `length - 3` (0..=255).
fn length_code(xlength: u32) -> usize {
    // The last base not above xlength; 255 (length 258) has its own code 28.
    LENGTH_BASE.partition_point(|&b| b <= xlength) - 1
}

/// Distance code (0..=29) of `distance - 1`.
fn offset_code(xoffset: u32) -> usize {
    OFFSET_BASE.partition_point(|&b| b <= xoffset) - 1
}

// ---------------------------------------------------------------------------
// Level-1 matcher (Go's deflatefast.go)

const TABLE_BITS: u32 = 14;
const TABLE_SIZE: usize = 1 << TABLE_BITS;
const TABLE_SHIFT: u32 = 32 - TABLE_BITS;
/// Go's `inputMargin`: matching stops this close to the end of a block.
const INPUT_MARGIN: usize = 16 - 1;
/// Blocks shorter than this are emitted as literals without matching.
const MIN_NON_LITERAL_BLOCK_SIZE: usize = 1 + 1 + INPUT_MARGIN;
/// Offsets are kept as i32 across blocks; rebase them before this.
const BUFFER_RESET: i32 = i32::MAX - (MAX_STORE_BLOCK_SIZE as i32) * 2;

fn load32(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

fn load64(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(a)
}

fn fast_hash(u: u32) -> usize {
    (u.wrapping_mul(0x1e35_a7bd) >> TABLE_SHIFT) as usize
}

#[derive(Clone, Copy, Default)]
struct TableEntry {
    /// The four bytes found at `offset`.
    val: u32,
    /// Position, in the running coordinate system shifted by `cur`.
    offset: i32,
}

/// Snappy-like single-probe matcher with one block of history.
struct DeflateFast {
    table: Vec<TableEntry>,
    /// The previous block, empty if there is none usable.
    prev: Vec<u8>,
    /// Running position of the start of the current block.
    cur: i32,
}

impl DeflateFast {
    fn new() -> DeflateFast {
        DeflateFast {
            table: vec![TableEntry::default(); TABLE_SIZE],
            prev: Vec::with_capacity(MAX_STORE_BLOCK_SIZE),
            cur: MAX_STORE_BLOCK_SIZE as i32,
        }
    }

    /// Appends the tokens for `src` to `dst`.
    fn encode(&mut self, dst: &mut Vec<Token>, src: &[u8]) {
        if self.cur >= BUFFER_RESET {
            self.shift_offsets();
        }
        if src.len() < MIN_NON_LITERAL_BLOCK_SIZE {
            self.cur += MAX_STORE_BLOCK_SIZE as i32;
            self.prev.clear();
            emit_literals(dst, src);
            return;
        }

        let s_limit = (src.len() - INPUT_MARGIN) as i32;
        let mut next_emit: i32 = 0;
        let mut s: i32 = 0;
        let mut cv = load32(src, 0);
        let mut next_hash = fast_hash(cv);

        'blocks: loop {
            // Heuristic skipping: after 32 misses look at every other byte,
            // after 32 more at every third, and so on.
            let mut skip: i32 = 32;
            let mut next_s = s;
            let mut candidate;
            loop {
                s = next_s;
                let step = skip >> 5;
                next_s = s + step;
                skip += step;
                if next_s > s_limit {
                    break 'blocks;
                }
                candidate = self.table[next_hash];
                let now = load32(src, next_s as usize);
                self.table[next_hash] = TableEntry {
                    offset: s + self.cur,
                    val: cv,
                };
                next_hash = fast_hash(now);
                let offset = s - (candidate.offset - self.cur);
                if offset > MAX_MATCH_OFFSET || cv != candidate.val {
                    cv = now;
                    continue;
                }
                break;
            }

            // A four-byte match at s: flush the literals before it.
            emit_literals(dst, &src[next_emit as usize..s as usize]);

            // Emit matches for as long as the byte after one starts another.
            loop {
                s += 4;
                let t = candidate.offset - self.cur + 4;
                let l = self.match_len(s, t, src);
                dst.push(Token::Match {
                    xlength: (l + 4 - BASE_MATCH_LENGTH) as u32,
                    xoffset: (s - t - BASE_MATCH_OFFSET) as u32,
                });
                s += l;
                next_emit = s;
                if s >= s_limit {
                    break 'blocks;
                }

                // Index s-1 and s, and test s for an immediate new match.
                let mut x = load64(src, (s - 1) as usize);
                let prev_hash = fast_hash(x as u32);
                self.table[prev_hash] = TableEntry {
                    offset: self.cur + s - 1,
                    val: x as u32,
                };
                x >>= 8;
                let curr_hash = fast_hash(x as u32);
                candidate = self.table[curr_hash];
                self.table[curr_hash] = TableEntry {
                    offset: self.cur + s,
                    val: x as u32,
                };
                let offset = s - (candidate.offset - self.cur);
                if offset > MAX_MATCH_OFFSET || x as u32 != candidate.val {
                    cv = (x >> 8) as u32;
                    next_hash = fast_hash(cv);
                    s += 1;
                    break;
                }
            }
        }

        if (next_emit as usize) < src.len() {
            emit_literals(dst, &src[next_emit as usize..]);
        }
        self.cur += src.len() as i32;
        self.prev.clear();
        self.prev.extend_from_slice(src);
    }

    /// How far `src[s..]` matches `src[t..]` beyond the four bytes already
    /// known to match; a negative `t` starts in the previous block and may
    /// run on into the start of the current one.
    fn match_len(&self, s: i32, t: i32, src: &[u8]) -> i32 {
        let s = s as usize;
        let s1 = (s + MAX_MATCH_LENGTH - 4).min(src.len());
        let a = &src[s..s1];

        if t >= 0 {
            let b = &src[t as usize..t as usize + a.len()];
            return common_prefix(a, b) as i32;
        }

        let tp = self.prev.len() as i32 + t;
        if tp < 0 {
            return 0;
        }
        let mut b = &self.prev[tp as usize..];
        if b.len() > a.len() {
            b = &b[..a.len()];
        }
        let a = &a[..b.len()];
        let n = common_prefix(a, b);
        if n < b.len() {
            return n as i32;
        }
        if s + n == s1 {
            return n as i32;
        }
        // Matched to the end of the previous block; continue at the start
        // of the current one.
        let a = &src[s + n..s1];
        let b = &src[..a.len()];
        (common_prefix(a, b) + n) as i32
    }

    /// Forgets the history so no match reaches into earlier data.
    fn reset(&mut self) {
        self.prev.clear();
        self.cur += MAX_MATCH_OFFSET;
        if self.cur >= BUFFER_RESET {
            self.shift_offsets();
        }
    }

    /// Rebases table offsets so `cur` cannot overflow (only for inputs of
    /// about 2 GiB and more).
    fn shift_offsets(&mut self) {
        if self.prev.is_empty() {
            self.table.fill(TableEntry::default());
            self.cur = MAX_MATCH_OFFSET + 1;
            return;
        }
        for e in self.table.iter_mut() {
            let v = e.offset - self.cur + MAX_MATCH_OFFSET + 1;
            e.offset = v.max(0);
        }
        self.cur = MAX_MATCH_OFFSET + 1;
    }
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn emit_literals(dst: &mut Vec<Token>, lit: &[u8]) {
    dst.extend(lit.iter().map(|&b| Token::Literal(b as u16)));
}

// ---------------------------------------------------------------------------
// Huffman code construction (Go's huffman_code.go)

#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
struct HCode {
    /// Bit-reversed code, ready to be written LSB first.
    code: u16,
    len: u16,
}

#[derive(Clone, Copy)]
struct LiteralNode {
    literal: u16,
    freq: i32,
}

#[derive(Clone, Copy, Default)]
struct LevelInfo {
    level: i32,
    last_freq: i32,
    next_char_freq: i32,
    next_pair_freq: i32,
    needed: i32,
}

const MAX_BITS_LIMIT: usize = 16;

struct HuffmanEncoder {
    codes: Vec<HCode>,
}

impl HuffmanEncoder {
    fn new(size: usize) -> HuffmanEncoder {
        HuffmanEncoder {
            codes: vec![HCode::default(); size],
        }
    }

    /// Total bits needed to code symbols with these frequencies.
    fn bit_length(&self, freq: &[i32]) -> i64 {
        freq.iter()
            .zip(&self.codes)
            .filter(|(f, _)| **f != 0)
            .map(|(f, c)| *f as i64 * c.len as i64)
            .sum()
    }

    /// Rebuilds the code for `freq` with lengths of at most `max_bits`.
    /// Symbols of frequency 0 get length 0; their stale `code` is never used.
    fn generate(&mut self, freq: &[i32], max_bits: i32) {
        let mut list: Vec<LiteralNode> = Vec::with_capacity(freq.len() + 1);
        for (i, &f) in freq.iter().enumerate() {
            if f != 0 {
                list.push(LiteralNode {
                    literal: i as u16,
                    freq: f,
                });
            } else {
                self.codes[i].len = 0;
            }
        }
        if list.len() <= 2 {
            // One or two symbols: each gets one bit, in symbol order.
            for (i, node) in list.iter().enumerate() {
                self.codes[node.literal as usize] = HCode {
                    code: i as u16,
                    len: 1,
                };
            }
            return;
        }
        // (freq, literal) is a total order, so any sort gives Go's result.
        list.sort_unstable_by_key(|n| (n.freq, n.literal));
        let bit_count = bit_counts(&list, max_bits);
        self.assign_encoding_and_size(&bit_count, &mut list);
    }

    /// Hands out canonical codes: the least frequent symbols get the longest
    /// codes, and within one length codes ascend with the symbol value.
    fn assign_encoding_and_size(&mut self, bit_count: &[i32], list: &mut [LiteralNode]) {
        let mut code: u16 = 0;
        let mut end = list.len();
        for (n, &bits) in bit_count.iter().enumerate() {
            code <<= 1;
            if n == 0 || bits == 0 {
                continue;
            }
            let start = end - bits as usize;
            let chunk = &mut list[start..end];
            chunk.sort_unstable_by_key(|node| node.literal);
            for node in chunk.iter() {
                self.codes[node.literal as usize] = HCode {
                    code: reverse_bits(code, n as u32),
                    len: n as u16,
                };
                code = code.wrapping_add(1);
            }
            end = start;
        }
    }
}

/// Go's package-merge style computation of how many symbols get each code
/// length (index = length), for `list` sorted by ascending frequency with at
/// least three entries.
fn bit_counts(list: &[LiteralNode], max_bits: i32) -> Vec<i32> {
    assert!(max_bits < MAX_BITS_LIMIT as i32, "flate: maxBits too large");
    let n = list.len() as i32;
    // Past the end of the list sits a sentinel of infinite frequency.
    let freq_at = |i: i32| -> i32 {
        if i >= n {
            i32::MAX
        } else {
            list[i as usize].freq
        }
    };
    let max_bits = max_bits.min(n - 1);

    // Level 0 is a dummy whose `needed` stays 0. One spare level on top
    // keeps the "ran out" bookkeeping in bounds.
    let mut levels = [LevelInfo::default(); MAX_BITS_LIMIT + 1];
    // leaf_counts[i][j]: leaves left of the level-j ancestor of the rightmost
    // node at level i.
    let mut leaf_counts = [[0i32; MAX_BITS_LIMIT]; MAX_BITS_LIMIT];

    for level in 1..=max_bits {
        let l = level as usize;
        levels[l] = LevelInfo {
            level,
            last_freq: freq_at(1),
            next_char_freq: freq_at(2),
            next_pair_freq: freq_at(0) + freq_at(1),
            needed: 0,
        };
        leaf_counts[l][l] = 2;
        if level == 1 {
            levels[l].next_pair_freq = i32::MAX;
        }
    }
    // 2n - 2 items are needed at the top level; two are already there.
    levels[max_bits as usize].needed = 2 * n - 4;

    let mut level = max_bits as usize;
    loop {
        let l = levels[level];
        if l.next_pair_freq == i32::MAX && l.next_char_freq == i32::MAX {
            // Out of both leaves and pairs: finish this level for good.
            levels[level].needed = 0;
            levels[level + 1].next_pair_freq = i32::MAX;
            level += 1;
            continue;
        }

        let prev_freq = l.last_freq;
        if l.next_char_freq < l.next_pair_freq {
            // Next item on this level is a leaf.
            let next = leaf_counts[level][level] + 1;
            levels[level].last_freq = l.next_char_freq;
            leaf_counts[level][level] = next;
            levels[level].next_char_freq = freq_at(next);
        } else {
            // Next item is a pair from the level below.
            levels[level].last_freq = l.next_pair_freq;
            let (below, here) = leaf_counts.split_at_mut(level);
            here[0][..level].copy_from_slice(&below[level - 1][..level]);
            levels[l.level as usize - 1].needed = 2;
        }

        levels[level].needed -= 1;
        if levels[level].needed == 0 {
            if l.level == max_bits {
                break;
            }
            levels[l.level as usize + 1].next_pair_freq =
                prev_freq.wrapping_add(levels[level].last_freq);
            level += 1;
        } else {
            // We took from the level below: replenish it first.
            while levels[level - 1].needed > 0 {
                level -= 1;
            }
        }
    }

    assert_eq!(
        leaf_counts[max_bits as usize][max_bits as usize], n,
        "flate: leafCounts[maxBits][maxBits] != n"
    );

    let mut bit_count = vec![0i32; max_bits as usize + 1];
    let counts = &leaf_counts[max_bits as usize];
    for (bits, level) in (1..=max_bits as usize).rev().enumerate() {
        bit_count[bits + 1] = counts[level] - counts[level - 1];
    }
    bit_count
}

fn reverse_bits(number: u16, bit_length: u32) -> u16 {
    (number << (16 - bit_length)).reverse_bits()
}

// ---------------------------------------------------------------------------
// Block writer (Go's huffman_bit_writer.go)

/// LSB-first bit stream. Go buffers 48 bits at a time; emitting whole bytes
/// as soon as they are complete produces the same byte sequence.
struct BitWriter {
    out: Vec<u8>,
    bits: u64,
    nbits: u32,
}

impl BitWriter {
    fn write_bits(&mut self, b: u32, nb: u32) {
        self.bits |= (b as u64) << self.nbits;
        self.nbits += nb;
        while self.nbits >= 8 {
            self.out.push(self.bits as u8);
            self.bits >>= 8;
            self.nbits -= 8;
        }
    }

    fn write_code(&mut self, c: HCode) {
        self.write_bits(c.code as u32, c.len as u32);
    }

    /// Pads to a byte boundary with zero bits.
    fn flush(&mut self) {
        if self.nbits > 0 {
            self.out.push(self.bits as u8);
        }
        self.bits = 0;
        self.nbits = 0;
    }

    fn write_bytes(&mut self, bytes: &[u8]) {
        debug_assert_eq!(self.nbits, 0, "writeBytes with unfinished bits");
        self.out.extend_from_slice(bytes);
    }
}

struct HuffmanBitWriter {
    bits: BitWriter,
    literal_freq: [i32; MAX_NUM_LIT],
    offset_freq: [i32; OFFSET_CODE_COUNT],
    /// Run-length encoded code lengths (symbols 0..=18, operands inline),
    /// ended by `BAD_CODE`.
    codegen: Vec<u8>,
    codegen_freq: [i32; CODEGEN_CODE_COUNT],
    literal_encoding: HuffmanEncoder,
    offset_encoding: HuffmanEncoder,
    codegen_encoding: HuffmanEncoder,
    /// Go's `huffOffset`: the offset code used by literal-only blocks.
    huff_offset: HuffmanEncoder,
}

impl HuffmanBitWriter {
    fn new() -> HuffmanBitWriter {
        let mut huff_offset = HuffmanEncoder::new(OFFSET_CODE_COUNT);
        let mut freq = [0i32; OFFSET_CODE_COUNT];
        freq[0] = 1;
        huff_offset.generate(&freq, 15);
        HuffmanBitWriter {
            bits: BitWriter {
                out: Vec::new(),
                bits: 0,
                nbits: 0,
            },
            literal_freq: [0; MAX_NUM_LIT],
            offset_freq: [0; OFFSET_CODE_COUNT],
            codegen: Vec::with_capacity(MAX_NUM_LIT + OFFSET_CODE_COUNT + 1),
            codegen_freq: [0; CODEGEN_CODE_COUNT],
            literal_encoding: HuffmanEncoder::new(MAX_NUM_LIT),
            offset_encoding: HuffmanEncoder::new(OFFSET_CODE_COUNT),
            codegen_encoding: HuffmanEncoder::new(CODEGEN_CODE_COUNT),
            huff_offset,
        }
    }

    fn write_stored_header(&mut self, length: usize, eof: bool) {
        self.bits.write_bits(eof as u32, 3);
        self.bits.flush();
        self.bits.write_bits(length as u32, 16);
        self.bits.write_bits(!(length as u16) as u32, 16);
    }

    fn write_stored_block(&mut self, data: &[u8], eof: bool) {
        self.write_stored_header(data.len(), eof);
        self.bits.write_bytes(data);
    }

    /// Stored size in bits, when `input` is known and fits one stored block.
    fn stored_size(input: Option<&[u8]>) -> Option<i64> {
        input
            .filter(|i| i.len() <= MAX_STORE_BLOCK_SIZE)
            .map(|i| (i.len() as i64 + 5) * 8)
    }

    /// Run-length encodes the code lengths of the literal/length and offset
    /// alphabets (RFC 1951 3.2.7) into `codegen`, counting symbol use in
    /// `codegen_freq`.
    fn generate_codegen(&mut self, num_literals: usize, num_offsets: usize, use_huff_offset: bool) {
        self.codegen_freq = [0; CODEGEN_CODE_COUNT];
        let off_enc = if use_huff_offset {
            &self.huff_offset
        } else {
            &self.offset_encoding
        };
        let mut lens: Vec<u8> = Vec::with_capacity(num_literals + num_offsets + 1);
        lens.extend(
            self.literal_encoding.codes[..num_literals]
                .iter()
                .map(|c| c.len as u8),
        );
        lens.extend(off_enc.codes[..num_offsets].iter().map(|c| c.len as u8));
        lens.push(BAD_CODE);

        let cg = &mut self.codegen;
        let freq = &mut self.codegen_freq;
        cg.clear();
        let mut size = lens[0];
        let mut count: i32 = 1;
        let mut in_index = 1;
        while size != BAD_CODE {
            let next_size = lens[in_index];
            in_index += 1;
            if next_size == size {
                count += 1;
                continue;
            }
            if size != 0 {
                cg.push(size);
                freq[size as usize] += 1;
                count -= 1;
                while count >= 3 {
                    let n = count.min(6);
                    cg.push(16);
                    cg.push((n - 3) as u8);
                    freq[16] += 1;
                    count -= n;
                }
            } else {
                while count >= 11 {
                    let n = count.min(138);
                    cg.push(18);
                    cg.push((n - 11) as u8);
                    freq[18] += 1;
                    count -= n;
                }
                if count >= 3 {
                    cg.push(17);
                    cg.push((count - 3) as u8);
                    freq[17] += 1;
                    count = 0;
                }
            }
            while count > 0 {
                cg.push(size);
                freq[size as usize] += 1;
                count -= 1;
            }
            size = next_size;
            count = 1;
        }
        cg.push(BAD_CODE);
    }

    /// Size in bits of a dynamic block (header included; `extra_bits` for
    /// length/offset extra bits as the caller chooses to count them), and how
    /// many code-length code lengths its header sends.
    fn dynamic_size(&self, use_huff_offset: bool, extra_bits: i64) -> (i64, usize) {
        let mut num_codegens = CODEGEN_CODE_COUNT;
        while num_codegens > 4 && self.codegen_freq[CODEGEN_ORDER[num_codegens - 1]] == 0 {
            num_codegens -= 1;
        }
        let header = 3
            + 5
            + 5
            + 4
            + 3 * num_codegens as i64
            + self.codegen_encoding.bit_length(&self.codegen_freq)
            + self.codegen_freq[16] as i64 * 2
            + self.codegen_freq[17] as i64 * 3
            + self.codegen_freq[18] as i64 * 7;
        let off_enc = if use_huff_offset {
            &self.huff_offset
        } else {
            &self.offset_encoding
        };
        let size = header
            + self.literal_encoding.bit_length(&self.literal_freq)
            + off_enc.bit_length(&self.offset_freq)
            + extra_bits;
        (size, num_codegens)
    }

    fn write_dynamic_header(
        &mut self,
        num_literals: usize,
        num_offsets: usize,
        num_codegens: usize,
        eof: bool,
    ) {
        let first_bits = if eof { 5 } else { 4 };
        self.bits.write_bits(first_bits, 3);
        self.bits.write_bits((num_literals - 257) as u32, 5);
        self.bits.write_bits((num_offsets - 1) as u32, 5);
        self.bits.write_bits((num_codegens - 4) as u32, 4);
        for &sym in &CODEGEN_ORDER[..num_codegens] {
            let len = self.codegen_encoding.codes[sym].len;
            self.bits.write_bits(len as u32, 3);
        }
        let mut i = 0;
        loop {
            let code_word = self.codegen[i];
            i += 1;
            if code_word == BAD_CODE {
                break;
            }
            self.bits
                .write_code(self.codegen_encoding.codes[code_word as usize]);
            let extra = match code_word {
                16 => 2,
                17 => 3,
                18 => 7,
                _ => 0,
            };
            if extra > 0 {
                self.bits.write_bits(self.codegen[i] as u32, extra);
                i += 1;
            }
        }
    }

    /// Counts symbol use and builds both codes. Returns how many literal and
    /// offset code lengths the block header must carry.
    fn index_tokens(&mut self, tokens: &[Token]) -> (usize, usize) {
        self.literal_freq = [0; MAX_NUM_LIT];
        self.offset_freq = [0; OFFSET_CODE_COUNT];
        for t in tokens {
            match *t {
                Token::Literal(l) => self.literal_freq[l as usize] += 1,
                Token::Match { xlength, xoffset } => {
                    self.literal_freq[LENGTH_CODES_START + length_code(xlength)] += 1;
                    self.offset_freq[offset_code(xoffset)] += 1;
                }
            }
        }
        let mut num_literals = MAX_NUM_LIT;
        while self.literal_freq[num_literals - 1] == 0 {
            num_literals -= 1;
        }
        let mut num_offsets = OFFSET_CODE_COUNT;
        while num_offsets > 0 && self.offset_freq[num_offsets - 1] == 0 {
            num_offsets -= 1;
        }
        if num_offsets == 0 {
            // A dynamic header needs at least one offset code.
            self.offset_freq[0] = 1;
            num_offsets = 1;
        }
        self.literal_encoding.generate(&self.literal_freq, 15);
        self.offset_encoding.generate(&self.offset_freq, 15);
        (num_literals, num_offsets)
    }

    fn write_tokens(&mut self, tokens: &[Token]) {
        for t in tokens {
            match *t {
                Token::Literal(l) => {
                    self.bits
                        .write_code(self.literal_encoding.codes[l as usize]);
                }
                Token::Match { xlength, xoffset } => {
                    let lc = length_code(xlength);
                    self.bits
                        .write_code(self.literal_encoding.codes[lc + LENGTH_CODES_START]);
                    let extra = LENGTH_EXTRA_BITS[lc] as u32;
                    if extra > 0 {
                        self.bits.write_bits(xlength - LENGTH_BASE[lc], extra);
                    }
                    let oc = offset_code(xoffset);
                    self.bits.write_code(self.offset_encoding.codes[oc]);
                    let extra = OFFSET_EXTRA_BITS[oc] as u32;
                    if extra > 0 {
                        self.bits.write_bits(xoffset - OFFSET_BASE[oc], extra);
                    }
                }
            }
        }
    }

    /// Go's `writeBlockDynamic`: a dynamic Huffman block of `tokens`, or a
    /// stored block of `input` when that is within 1/16 of the coded size.
    /// (Level 1 always passes the input; `None` is Go's nil input.)
    fn write_block_dynamic(&mut self, tokens: &mut Vec<Token>, eof: bool, input: Option<&[u8]>) {
        tokens.push(Token::Literal(END_BLOCK_MARKER));
        let (num_literals, num_offsets) = self.index_tokens(tokens);
        self.generate_codegen(num_literals, num_offsets, false);
        self.codegen_encoding.generate(&self.codegen_freq, 7);
        let (size, num_codegens) = self.dynamic_size(false, 0);

        if let (Some(ssize), Some(input)) = (Self::stored_size(input), input) {
            if ssize < size + (size >> 4) {
                self.write_stored_block(input, eof);
                return;
            }
        }
        self.write_dynamic_header(num_literals, num_offsets, num_codegens, eof);
        self.write_tokens(tokens);
    }

    /// Go's `writeBlockHuff`: `input` as literals under a dynamic Huffman
    /// code, or stored when that gains too little.
    fn write_block_huff(&mut self, eof: bool, input: &[u8]) {
        self.literal_freq = [0; MAX_NUM_LIT];
        for &b in input {
            self.literal_freq[b as usize] += 1;
        }
        self.literal_freq[END_BLOCK_MARKER as usize] = 1;
        const NUM_LITERALS: usize = END_BLOCK_MARKER as usize + 1;
        // Go sets only entry 0 and leaves the rest of offset_freq as the
        // previous block left it; those entries have code length 0 in
        // huff_offset, so they never count.
        self.offset_freq[0] = 1;
        const NUM_OFFSETS: usize = 1;

        self.literal_encoding.generate(&self.literal_freq, 15);
        self.generate_codegen(NUM_LITERALS, NUM_OFFSETS, true);
        self.codegen_encoding.generate(&self.codegen_freq, 7);
        let (size, num_codegens) = self.dynamic_size(true, 0);

        if let Some(ssize) = Self::stored_size(Some(input)) {
            if ssize < size + (size >> 4) {
                self.write_stored_block(input, eof);
                return;
            }
        }
        self.write_dynamic_header(NUM_LITERALS, NUM_OFFSETS, num_codegens, eof);
        for &b in input {
            self.bits
                .write_code(self.literal_encoding.codes[b as usize]);
        }
        self.bits
            .write_code(self.literal_encoding.codes[END_BLOCK_MARKER as usize]);
    }
}

// ---------------------------------------------------------------------------
// CRC-32 (IEEE), as gzip's trailer needs

const fn crc32_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

static CRC32_TABLE: [u32; 256] = crc32_table();

const fn crc32_tables() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    t[0] = crc32_table();
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

/// Slicing-by-8 tables: `CRC32_TABLES[k][b]` is the CRC of byte `b`
/// followed by `k` zero bytes.
static CRC32_TABLES: [[u32; 256]; 8] = crc32_tables();

#[cfg(test)]
fn crc32_ieee(data: &[u8]) -> u32 {
    !crc32_update(!0, data)
}

/// Folds `data` into a running CRC-32 (IEEE) register (start at `!0`,
/// complement at the end). Eight bytes a step (slicing-by-8).
fn crc32_update(mut crc: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let lo = crc ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        let hi = u32::from_le_bytes([c[4], c[5], c[6], c[7]]);
        crc = CRC32_TABLES[7][(lo & 0xff) as usize]
            ^ CRC32_TABLES[6][((lo >> 8) & 0xff) as usize]
            ^ CRC32_TABLES[5][((lo >> 16) & 0xff) as usize]
            ^ CRC32_TABLES[4][(lo >> 24) as usize]
            ^ CRC32_TABLES[3][(hi & 0xff) as usize]
            ^ CRC32_TABLES[2][((hi >> 8) & 0xff) as usize]
            ^ CRC32_TABLES[1][((hi >> 16) & 0xff) as usize]
            ^ CRC32_TABLES[0][(hi >> 24) as usize];
    }
    for &b in chunks.remainder() {
        crc = CRC32_TABLE[((crc ^ b as u32) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    use airlock_testkit::random::{self, Rng};

    fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
        random::bytes(seed, n)
    }

    /// Text-like data with many repeats, near and far.
    fn compressible_bytes(n: usize, seed: u64) -> Vec<u8> {
        let words: [&[u8]; 12] = [
            b"apiVersion: ",
            b"imgpkg.carvel.dev/v1alpha1\n",
            b"kind: ImagesLock\n",
            b"images:\n- image: ",
            b"127.0.0.1:5000/src/app1@sha256:",
            b"95cdec99a5b01a74bed240f40f9f59e7",
            b"  annotations:\n",
            b"    kbld.carvel.dev/id: ",
            b"  ",
            b"\n",
            b"metadata:\n  name: x\n",
            b"0123456789",
        ];
        let mut r = Rng::new(seed);
        let mut out = Vec::with_capacity(n + 64);
        while out.len() < n {
            let v = r.next_u64();
            if v % 17 == 0 {
                out.push((v >> 8) as u8);
            } else {
                out.extend_from_slice(words[(v >> 16) as usize % words.len()]);
            }
        }
        out.truncate(n);
        out
    }

    fn gunzip(gz: &[u8]) -> Vec<u8> {
        let mut d = flate2::read::GzDecoder::new(gz);
        let mut out = Vec::new();
        d.read_to_end(&mut out).expect("valid gzip");
        out
    }

    const SIZES: [usize; 9] = [0, 1, 16, 17, 127, 128, 1000, 70_000, 300_000];

    #[test]
    fn round_trips_random_data() {
        for (i, &n) in SIZES.iter().enumerate() {
            let data = random_bytes(n, 0x9e37_79b9_7f4a_7c15 ^ i as u64);
            assert_eq!(gunzip(&go_gzip_best_speed(&data)), data, "size {n}");
        }
    }

    #[test]
    fn round_trips_compressible_data() {
        for (i, &n) in SIZES.iter().enumerate() {
            let data = compressible_bytes(n, 42 + i as u64);
            let gz = go_gzip_best_speed(&data);
            assert_eq!(gunzip(&gz), data, "size {n}");
            if n >= 1000 {
                assert!(gz.len() < n / 2, "size {n} compressed to {}", gz.len());
            }
        }
    }

    #[test]
    fn round_trips_runs_and_block_edges() {
        let mut cases: Vec<Vec<u8>> = vec![
            vec![0u8; 300_000],
            vec![b'a'; 65_535],
            vec![b'a'; 65_536],
            vec![b'z'; 65_535 * 2 + 16],
            vec![b'z'; 65_535 * 2 + 17],
            vec![b'z'; 65_535 * 2 + 128],
        ];
        // A block repeating the end of the previous one exercises matches
        // that start in the previous block and run into the current one.
        let base = random_bytes(40_000, 7);
        let mut cross = base.clone();
        cross.extend_from_slice(&base);
        cross.extend_from_slice(&base);
        cases.push(cross);
        // Long repeats of a short random pattern: many length-258 matches.
        let pat = random_bytes(300, 9);
        cases.push(pat.iter().cycle().take(200_000).copied().collect());
        for data in cases {
            assert_eq!(
                gunzip(&go_gzip_best_speed(&data)),
                data,
                "len {}",
                data.len()
            );
        }
    }

    #[test]
    fn gzip_framing_matches_go() {
        // Go: gzip.NewWriterLevel(&b, gzip.BestSpeed); Close() with no data.
        let gz = go_gzip_best_speed(b"");
        assert_eq!(
            gz,
            [
                0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 0xff, // header
                0x01, 0x00, 0x00, 0xff, 0xff, // final empty stored block
                0, 0, 0, 0, 0, 0, 0, 0, // crc, size
            ]
        );
        // Up to 16 bytes: one stored block, then the final empty one.
        let gz = go_gzip_best_speed(b"hello");
        assert_eq!(&gz[10..15], &[0x00, 0x05, 0x00, 0xfa, 0xff]);
        assert_eq!(&gz[15..20], b"hello");
        assert_eq!(&gz[20..25], &[0x01, 0x00, 0x00, 0xff, 0xff]);
    }

    #[test]
    fn crc32_known_value() {
        assert_eq!(crc32_ieee(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn crc32_slicing_by_8_matches_bytewise() {
        let data = random_bytes(10_007, 7);
        let mut bytewise = !0u32;
        for &b in &data {
            bytewise = CRC32_TABLE[((bytewise ^ b as u32) & 0xff) as usize] ^ (bytewise >> 8);
        }
        for split in [0, 1, 7, 8, 9, 4096, 10_007] {
            let (a, b) = data.split_at(split);
            assert_eq!(
                crc32_update(crc32_update(!0, a), b),
                bytewise,
                "split {split}"
            );
        }
    }

    /// The streaming writer's output does not depend on how the input is
    /// chunked (Go's does not either), across block edges.
    #[test]
    fn streaming_output_is_independent_of_chunking() {
        for &n in &[
            0usize, 1, 16, 17, 127, 128, 65_534, 65_535, 65_536, 200_000, 300_001,
        ] {
            for data in [
                random_bytes(n, n as u64),
                compressible_bytes(n, 3 + n as u64),
            ] {
                let whole = go_gzip_best_speed(&data);
                assert_eq!(gunzip(&whole), data, "size {n}");
                for chunk in [1usize, 1000, 65_535, 70_000] {
                    if n > 70_000 && chunk == 1 {
                        continue;
                    }
                    let mut w = GoGzipWriter::new();
                    let mut out = Vec::new();
                    for c in data.chunks(chunk) {
                        w.write(c, &mut out);
                    }
                    w.finish(&mut out);
                    assert!(out == whole, "size {n}, chunks of {chunk}");
                }
            }
        }
    }

    #[test]
    fn length_and_offset_codes() {
        assert_eq!(length_code(0), 0);
        assert_eq!(length_code(8), 8);
        assert_eq!(length_code(9), 8);
        assert_eq!(length_code(254), 27);
        assert_eq!(length_code(255), 28);
        assert_eq!(offset_code(0), 0);
        assert_eq!(offset_code(4), 4);
        assert_eq!(offset_code(5), 4);
        assert_eq!(offset_code(255), 15);
        assert_eq!(offset_code(256), 16);
        assert_eq!(offset_code(32767), 29);
    }

    #[test]
    fn match_len_spans_previous_and_current_block() {
        // (previous, current, t, s, want): the cases of Go's
        // TestBestSpeedMatch.
        let z = |n: usize| vec![0u8; n];
        let m = MAX_MATCH_LENGTH as i32 - 4;
        type Case = (Vec<u8>, Vec<u8>, i32, i32, i32);
        let cases: Vec<Case> = vec![
            (
                vec![0, 0, 0, 1, 2],
                vec![3, 4, 5, 0, 1, 2, 3, 4, 5],
                -3,
                3,
                6,
            ),
            (
                vec![0, 0, 0, 1, 2],
                vec![2, 4, 5, 0, 1, 2, 3, 4, 5],
                -3,
                3,
                3,
            ),
            (
                vec![0, 0, 0, 1, 1],
                vec![3, 4, 5, 0, 1, 2, 3, 4, 5],
                -3,
                3,
                2,
            ),
            (
                vec![0, 0, 0, 1, 2],
                vec![2, 2, 2, 2, 1, 2, 3, 4, 5],
                -1,
                0,
                4,
            ),
            (
                vec![0, 0, 0, 1, 2, 3, 4, 5, 2, 2],
                vec![2, 2, 2, 2, 1, 2, 3, 4, 5],
                -7,
                4,
                5,
            ),
            (
                vec![9, 9, 9, 9, 9],
                vec![2, 2, 2, 2, 1, 2, 3, 4, 5],
                -1,
                0,
                0,
            ),
            (
                vec![9, 9, 9, 9, 9],
                vec![9, 2, 2, 2, 1, 2, 3, 4, 5],
                0,
                1,
                0,
            ),
            (vec![], vec![9, 2, 2, 2, 1, 2, 3, 4, 5], -5, 1, 0),
            (vec![], vec![9, 2, 2, 2, 1, 2, 3, 4, 5], -1, 1, 0),
            (vec![], vec![2, 2, 2, 2, 1, 2, 3, 4, 5], 0, 1, 3),
            (vec![3, 4, 5], vec![3, 4, 5], -3, 0, 3),
            (z(1000), z(1000), -1000, 0, m),
            (z(200), z(500), -200, 0, m),
            (z(200), z(500), 0, 1, m),
            (z(MAX_MATCH_LENGTH - 4), z(500), -m, 0, m),
            (z(200), z(500), -200, 400, 100),
            (z(10), z(500), 200, 400, 100),
        ];
        for (i, (previous, current, t, s, want)) in cases.into_iter().enumerate() {
            let mut e = DeflateFast::new();
            e.prev = previous;
            assert_eq!(e.match_len(s, t, &current), want, "case {i}");
        }
    }

    #[test]
    fn huffman_lengths_are_limited_and_complete() {
        // Fibonacci-like frequencies force lengths past 15 without a limit.
        let mut freq = [0i32; MAX_NUM_LIT];
        let (mut a, mut b) = (1i32, 1i32);
        for f in freq.iter_mut().take(30) {
            *f = a;
            let c = a + b;
            a = b;
            b = c.min(1 << 20);
        }
        let mut enc = HuffmanEncoder::new(MAX_NUM_LIT);
        enc.generate(&freq, 15);
        let lens: Vec<u16> = enc.codes[..30].iter().map(|c| c.len).collect();
        assert!(lens.iter().all(|&l| (1..=15).contains(&l)), "{lens:?}");
        // Kraft equality: a complete prefix code.
        let kraft: f64 = lens.iter().map(|&l| 0.5f64.powi(l as i32)).sum();
        assert!((kraft - 1.0).abs() < 1e-12, "kraft {kraft}");
    }
}
