//! The error of a wrong command line, configuration or message: exit status 2, nothing
//! done. A leaf module, so that whatever validates input (the configuration above all)
//! can raise it without depending on how errors are reported, or on the Graph client.

/// The command line, the configuration or a message was wrong: exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(String);

impl UsageError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        UsageError(message.into())
    }
}

/// Shorthand for returning a [`UsageError`].
#[macro_export]
macro_rules! usage {
    ($($arg:tt)*) => {
        return Err($crate::usage_error::UsageError::new(format!($($arg)*)).into())
    };
}
