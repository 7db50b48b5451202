//! The handler's command, checked before serve starts, and its environment: ours without
//! the secrets.

use std::ffi::OsString;
use std::path::Path;

use anyhow::Result;

use crate::usage;

/// Environment variables that hold secrets: never handed to the handler unless asked.
pub(super) const SECRET_VARIABLES: [&str; 3] = [
    "WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN",
    "WHATSAPP_CLOUD_WEBHOOKS_SECRET",
    "WHATSAPP_CLOUD_WEBHOOKS_VERIFY_TOKEN",
];

/// Splits CMD like a shell (quotes honoured) and checks that its program can be run, so
/// that a typo stops `serve` at start-up instead of in a restart loop.
pub(crate) fn parse_command(cmd: &str) -> Result<Vec<String>> {
    let argv = match shell_words::split(cmd) {
        Ok(argv) if !argv.is_empty() => argv,
        Ok(_) => {
            usage!("--handler is empty: give the command that runs your bot, such as ./bot.py")
        }
        Err(err) => usage!("--handler {cmd:?} cannot be split into words: {err}"),
    };
    let program = Path::new(&argv[0]);
    let found = if argv[0].contains('/') {
        Some(program.to_path_buf())
    } else {
        std::env::var_os("PATH")
            .map(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(program))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .into_iter()
            .find(|candidate| candidate.is_file())
    };
    let Some(path) = found.filter(|p| p.is_file()) else {
        usage!(
            "the handler `{}` cannot be run: no such file (give a path such as ./bot.py, or a program on PATH)",
            argv[0]
        );
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = path.metadata().map(|m| m.permissions().mode()).unwrap_or(0);
        if mode & 0o111 == 0 {
            usage!(
                "the handler `{}` is not executable: `chmod +x {}`, or name its interpreter (--handler 'python3 {}')",
                argv[0],
                argv[0],
                argv[0]
            );
        }
    }
    Ok(argv)
}

/// Secrets shorter than this are only recognised as a variable's whole value, not inside
/// one: a few characters such as `/usr` or `true` occur in too many harmless values
/// (`PATH`), and dropping those would break the handler. Such a short secret is weak
/// anyway.
pub(super) const MIN_SECRET_IN_VALUE: usize = 8;

/// The handler's environment: ours without the secrets (but for `pass`), plus
/// WA_CLOUD_PHONE_NUMBER_ID and WA_CLOUD_MEDIA_DIR. A variable is dropped, whatever its
/// name, when its value holds one of `secret_values` (`AUTH=Bearer <token>`, a URL with
/// the app secret in it); see [`MIN_SECRET_IN_VALUE`]. The names of the variables dropped
/// that way are logged, never their values.
pub(crate) fn handler_env(
    pass: &[String],
    secret_values: &[&str],
    phone_number_id: &str,
    media_dir: &Path,
) -> Vec<(OsString, OsString)> {
    let (mut env, dropped) = without_secrets(std::env::vars_os(), pass, secret_values);
    if !dropped.is_empty() {
        tracing::info!(
            "not handing {} to the handler: their values hold a secret (--pass-env NAME hands one over on purpose)",
            dropped.join(", ")
        );
    }
    env.push(("WA_CLOUD_PHONE_NUMBER_ID".into(), phone_number_id.into()));
    env.push(("WA_CLOUD_MEDIA_DIR".into(), media_dir.into()));
    env
}

/// `vars` without the secret variables and those whose value holds a secret, unless
/// named in `pass`; and the names of the variables dropped for their value.
fn without_secrets(
    vars: impl IntoIterator<Item = (OsString, OsString)>,
    pass: &[String],
    secret_values: &[&str],
) -> (Vec<(OsString, OsString)>, Vec<String>) {
    let mut dropped = Vec::new();
    let env = vars
        .into_iter()
        .filter(|(name, value)| {
            let name = name.to_string_lossy();
            if pass.iter().any(|p| *p == name) {
                return true;
            }
            if SECRET_VARIABLES.contains(&name.as_ref()) {
                return false;
            }
            let holds = holds_secret(value.as_encoded_bytes(), secret_values);
            if holds {
                dropped.push(name.into_owned());
            }
            !holds
        })
        .collect();
    (env, dropped)
}

/// Whether `value` is one of `secrets`, or holds one of at least `MIN_SECRET_IN_VALUE` bytes.
fn holds_secret(value: &[u8], secrets: &[&str]) -> bool {
    secrets.iter().any(|secret| {
        let secret = secret.as_bytes();
        !secret.is_empty()
            && (value == secret
                || (secret.len() >= MIN_SECRET_IN_VALUE
                    && value.windows(secret.len()).any(|w| w == secret)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_split_like_a_shell_and_checked() {
        assert_eq!(
            parse_command("sh -c 'echo \"a b\"'").unwrap(),
            ["sh", "-c", "echo \"a b\""]
        );
        let missing = parse_command("./no-such-bot.py").unwrap_err().to_string();
        assert!(missing.contains("no such file"), "{missing}");
        assert!(parse_command("  ").is_err());
    }

    #[test]
    fn variables_that_hold_a_secret_are_dropped_unless_passed() {
        let token = "EAAG-secret-token-value";
        let vars = [
            ("PATH", "/usr/bin:/bin"),
            ("AUTH_HEADER", "Bearer EAAG-secret-token-value"),
            (
                "HOOK_URL",
                "https://x.example/hook?secret=app-secret-1234&a=b",
            ),
            ("COPY", "EAAG-secret-token-value"),
            ("PASSED", "token=EAAG-secret-token-value"),
            ("SHORT_SECRET_ELSEWHERE", "my /usr dir"),
            ("SHORT_SECRET_EXACTLY", "/usr"),
            ("WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN", "anything"),
            ("HARMLESS", "EAAG-secret"),
        ]
        .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        let (env, dropped) = without_secrets(
            vars,
            &["PASSED".to_string()],
            &[token, "app-secret-1234", "/usr", ""],
        );
        let names: Vec<_> = env.iter().map(|(k, _)| k.to_str().unwrap()).collect();
        assert_eq!(
            names,
            ["PATH", "PASSED", "SHORT_SECRET_ELSEWHERE", "HARMLESS"]
        );
        assert_eq!(
            dropped,
            ["AUTH_HEADER", "HOOK_URL", "COPY", "SHORT_SECRET_EXACTLY"]
        );
        assert!(!holds_secret(b"", &[""]), "an empty secret holds nothing");
    }

    #[test]
    fn secrets_are_not_handed_over_unless_asked() {
        // The test process's own environment is read; only the filtering is checked here.
        let env = handler_env(&[], &["PATH-VALUE-NOT-SECRET"], "123", Path::new("media"));
        assert!(
            env.iter()
                .all(|(k, _)| !SECRET_VARIABLES.iter().any(|s| k == s))
        );
        assert!(
            env.iter()
                .any(|(k, v)| k == "WA_CLOUD_PHONE_NUMBER_ID" && v == "123")
        );
    }
}
