//! The multipart/form-data parser of `wa-cloud dev`'s local Graph API (uploads).
//!
//! Input: one byte for the piece size, the Content-Type up to the first `\n`, the body.
//! A body parses alike in pieces of any size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wa_cloud::fuzzing::multipart;

fuzz_target!(|data: &[u8]| {
    let Some((&piece, rest)) = data.split_first() else {
        return;
    };
    let split = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
    let content_type = String::from_utf8_lossy(&rest[..split]);
    let body = rest.get(split + 1..).unwrap_or_default();
    let Some(whole) = multipart(&content_type, body, body.len().max(1)) else {
        return;
    };
    let pieces = multipart(&content_type, body, usize::from(piece) + 1).expect("same boundary");
    if let (Ok(whole), Ok(pieces)) = (&whole, &pieces) {
        assert_eq!(whole, pieces, "pieces of {}", usize::from(piece) + 1);
    }
});
