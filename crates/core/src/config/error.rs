//! Configuration problems, each pinned to a file, line, column and dotted key.
//!
//! Loading collects every problem it can find instead of stopping at the first, so an operator
//! fixes a broken edit in one pass; `Display` prints one problem per line.

use std::fmt;

/// One problem in one file: where it is and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file name as the user should see it (e.g. `configs/config.yaml`).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// Dotted key path (`risk.max_drawdown`, `system.symbols[2]`); empty for whole-file problems.
    pub key: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(
        file: impl Into<String>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ConfigError {
            file: file.into(),
            line: None,
            column: None,
            key: key.into(),
            message: message.into(),
        }
    }

    pub fn at(mut self, line: Option<usize>, column: Option<usize>) -> Self {
        self.line = line;
        self.column = column;
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Every problem found in one load or edit; never empty when returned as an error.
#[derive(Clone, Debug, PartialEq, Eq, Default, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    pub fn single(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }
    pub fn push(&mut self, e: ConfigError) {
        self.0.push(e);
    }
    pub fn extend(&mut self, other: ConfigErrors) {
        self.0.extend(other.0);
    }
    /// `Ok(v)` when nothing was collected, the errors otherwise.
    pub fn into_result<T>(self, v: T) -> Result<T, ConfigErrors> {
        if self.0.is_empty() {
            Ok(v)
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_file_line_col_key_message_one_per_line() {
        let errs = ConfigErrors(vec![
            ConfigError::new("configs/config.yaml", "risk.max_drawdown", "must be > 0")
                .at(Some(7), Some(3)),
            ConfigError::new("features.yaml", "plugins.x.enabled", "bad").at(Some(4), None),
            ConfigError::new("features.yaml", "", "cannot read: gone"),
        ]);
        assert_eq!(
            errs.to_string(),
            "configs/config.yaml:7:3: risk.max_drawdown: must be > 0\n\
             features.yaml:4: plugins.x.enabled: bad\n\
             features.yaml: cannot read: gone"
        );
    }
}
