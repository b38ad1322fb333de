//! The RSPLIB handlespace checksum (docs/model.md §3 quirk Q3), emulated
//! exactly: per PE, the pool handle bytes (zero-padded to even length) and the PE id in
//! network byte order are summed as little-endian 16-bit words into a wrapping u32; the
//! handlespace and ownership checksums are wrapping sums of those, folded and complemented.

use super::ids::{PeId, PoolHandle};

/// A PE's contribution to the checksum accumulators: its pool handle's part and its id's.
pub fn pool_element_accumulator(handle: &PoolHandle, id: PeId) -> u32 {
    handle_accumulator(handle).wrapping_add(id_accumulator(id))
}

/// The pool handle's part of a PE's accumulator (a pool keeps it: the sum is a sum).
pub fn handle_accumulator(handle: &PoolHandle) -> u32 {
    let mut acc = 0u32;
    for word in handle.as_bytes().chunks(2) {
        let lo = word[0] as u32;
        let hi = word.get(1).copied().unwrap_or(0) as u32;
        acc = acc.wrapping_add(lo | (hi << 8));
    }
    acc
}

/// The PE id's part of its accumulator.
pub fn id_accumulator(id: PeId) -> u32 {
    let [a, b, c, d] = id.0.to_be_bytes();
    (a as u32 | (b as u32) << 8).wrapping_add(c as u32 | (d as u32) << 8)
}

/// Folds a u32 accumulator to the finished 16-bit one's-complement checksum.
pub fn finish(mut acc: u32) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xFFFF) + (acc >> 16);
    }
    !(acc as u16)
}

/// The two wire bytes (TLV 0x000F): the finished checksum in x86 host (little-endian) order.
pub fn wire_bytes(checksum: u16) -> [u8; 2] {
    checksum.to_le_bytes()
}

#[cfg(test)]
mod test {
    use super::*;

    fn ph(s: &str) -> PoolHandle {
        PoolHandle::new(s.as_bytes()).unwrap()
    }

    #[test]
    fn vectors_of_section_4_6() {
        let p = ph("P");
        let accs: Vec<u32> = [100, 200, 300].iter().map(|&id| pool_element_accumulator(&p, PeId(id))).collect();
        assert_eq!(accs, [0x6450, 0xC850, 0x2C51]);
        let sum = accs.iter().fold(0u32, |a, &b| a.wrapping_add(b));
        assert_eq!(finish(sum), 0xA70D);
        assert_eq!(wire_bytes(finish(sum)), [0x0D, 0xA7]);

        let e = ph("EchoPool");
        let a = pool_element_accumulator(&e, PeId(0x1234_5678));
        let b = pool_element_accumulator(&e, PeId(0xDEAD_BEEF));
        assert_eq!((a, b), (0x0002_5AD4, 0x0003_4C08));
        assert_eq!(finish(a.wrapping_add(b)), 0x591E);
        assert_eq!(finish(a), 0xA529);
    }
}
