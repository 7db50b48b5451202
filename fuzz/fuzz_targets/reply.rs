//! The normalizer of the handler's replies (and of `send`): any line a bot may write.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wa_cloud::fuzzing::{Recipient, normalize};

fuzz_target!(|line: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(line) else {
        return;
    };
    let sender = Recipient::parse("4915112345678").expect("a valid number");
    for default_to in [None, Some(&sender)] {
        if let Ok(outgoing) = normalize(&value, default_to) {
            assert_eq!(outgoing.body["type"], outgoing.kind.as_str());
            // A phone goes in `to`, a user id in `recipient`, never both.
            let field = match outgoing.recipient {
                Recipient::Phone(_) => "to",
                Recipient::UserId(_) => "recipient",
            };
            assert_eq!(outgoing.body[field], outgoing.recipient.to_graph().as_str());
            let other = if field == "to" { "recipient" } else { "to" };
            assert!(outgoing.body.get(other).is_none(), "{}", outgoing.body);
        }
    }
});
