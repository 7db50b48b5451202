//! The configuration file reader: any text in whatsapp-cloud.config.{yaml,json}.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wa_cloud::fuzzing::Config;

fuzz_target!(|data: &[u8]| {
    let Some((&format, text)) = data.split_first() else {
        return;
    };
    let name = if format & 1 == 0 {
        "whatsapp-cloud.config.yaml"
    } else {
        "whatsapp-cloud.config.json"
    };
    let text = String::from_utf8_lossy(text);
    let Ok(config) = Config::from_file_text(name, &text) else {
        return;
    };
    for described in config.describe() {
        if described.key.ends_with("secret")
            || described.key.ends_with("Token")
        {
            assert!(
                described.value.is_null() || described.value == "********",
                "{} is shown",
                described.key
            );
        }
    }
    let _ = (config.messages(), config.webhooks(), config.media(), config.events());
    let _ = config.graph();
    let _ = format!("{config:?}");
});
