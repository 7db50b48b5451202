//! `wa-cloud config` and configuration errors, through the real binary.

use serde_json::Value;

use crate::harness::{TOKEN, wa_cloud};

#[test]
fn config_shows_each_value_with_its_origin_and_masks_secrets() {
    let run = wa_cloud(&["config", "--api-version", "24"])
        .file(
            "whatsapp-cloud.config.yaml",
            "webhooks:\n  port: 4000\ngraphApi:\n  phoneNumberId: '123456'\n",
        )
        .env("WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN", TOKEN)
        .run();
    run.success().keeps_secrets();
    let line = |key: &str| {
        run.stdout
            .lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no {key}:\n{}", run.stdout))
            .to_string()
    };
    assert!(
        line("webhooks.port").contains("4000") && line("webhooks.port").contains("file "),
        "{}",
        run.stdout
    );
    assert!(line("webhooks.path").ends_with("default"));
    assert!(line("graphApi.accessToken").contains("********"));
    assert!(line("graphApi.accessToken").ends_with("env WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN"));
    assert!(
        line("graphApi.version").contains("v24.0")
            && line("graphApi.version").ends_with("flag --api-version")
    );
}

#[test]
fn config_json_is_machine_readable() {
    let run = wa_cloud(&["--json", "config"])
        .env("WHATSAPP_CLOUD_WEBHOOKS_SECRET", TOKEN)
        .run();
    run.success().keeps_secrets();
    let parsed: Value = serde_json::from_str(&run.stdout).expect("one JSON object");
    let secret = parsed["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["key"] == "webhooks.secret")
        .unwrap();
    assert_eq!(secret["value"], "********");
    assert_eq!(secret["origin"], "env WHATSAPP_CLOUD_WEBHOOKS_SECRET");
    assert_eq!(parsed["file"], Value::Null);
}

#[test]
fn no_env_and_no_config_file_skip_their_layers() {
    let run = wa_cloud(&["config", "--no-env", "--no-config-file"])
        .file(
            "whatsapp-cloud.config.json",
            r#"{"webhooks":{"port":4711}}"#,
        )
        .env("WHATSAPP_CLOUD_WEBHOOKS_PATH", "/env")
        .run();
    run.success().stdout_has("# no configuration file");
    assert!(
        !run.stdout.contains("4711") && !run.stdout.contains("/env"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_broken_config_file_names_the_file_and_the_place() {
    wa_cloud(&["config"])
        .file(
            "whatsapp-cloud.config.yaml",
            "webhooks:\n  port: 3000\n   path: /x\n",
        )
        .run()
        .status(2)
        .stderr_has("whatsapp-cloud.config.yaml` is not valid YAML")
        .stderr_has("line 3");
}

#[test]
fn a_value_of_the_wrong_type_names_key_and_source() {
    wa_cloud(&["config"])
        .file(
            "whatsapp-cloud.config.json",
            r#"{"messages":{"markAsRead":"perhaps"}}"#,
        )
        .run()
        .status(2)
        .stderr_has("`messages.markAsRead` must be true or false");
    wa_cloud(&["config"])
        .env("WHATSAPP_CLOUD_WEBHOOKS_PORT", "99999")
        .run()
        .status(2)
        .stderr_has("`WHATSAPP_CLOUD_WEBHOOKS_PORT`");
}

#[test]
fn unknown_keys_warn_with_the_closest_known_one() {
    wa_cloud(&["config"])
        .file(
            "whatsapp-cloud.config.yaml",
            "graphApi:\n  phoneNumberID: '1'\n",
        )
        .run()
        .success()
        .stderr_has(
            "unknown key `graphApi.phoneNumberID` (did you mean `graphApi.phoneNumberId`?)",
        );
}

#[test]
fn an_explicit_config_file_must_exist() {
    wa_cloud(&["config", "--config", "nowhere.yaml"])
        .run()
        .status(2)
        .stderr_has("`nowhere.yaml` does not exist");
}

#[test]
fn the_platform_config_directory_is_the_fallback() {
    let command = wa_cloud(&["config"]);
    let dir = command.dir().join("home/.config/wa-cloud");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.yaml"), "webhooks:\n  port: 5555\n").unwrap();
    command.run().success().stdout_has("5555");
}
