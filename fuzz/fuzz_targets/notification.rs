//! The webhook notification parser: any body a stranger can sign, or fail to.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wa_cloud::fuzzing::{Kind, parse_notification};

fuzz_target!(|body: &[u8]| {
    let Ok(items) = parse_notification(body) else {
        return;
    };
    for item in &items {
        let event = item.event_value();
        assert_eq!(event["event"], item.kind.as_str());
        assert!(!item.key.is_empty(), "every item has a key: {item:?}");
        // A message or status handed over has its id, which acknowledges it.
        if matches!(item.kind, Kind::Message | Kind::Status) {
            assert!(event["id"].as_str().is_some_and(|id| !id.trim().is_empty()));
        }
    }
    // The same body gives the same items: redeliveries are recognised.
    assert_eq!(parse_notification(body).ok(), Some(items));
});
