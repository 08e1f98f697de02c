//! `key=value` properties, as Kafka clients read them from `client.properties` or `-X`.

use super::ConfigError;

/// An ordered list of `key=value` properties. Later entries win when a key repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    entries: Vec<(String, String)>,
}

impl Properties {
    /// No properties.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key=value`.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.entries.push((key.into(), value.into()));
    }

    /// Parses one `key=value` string (as given to `-X`).
    pub fn set_pair(&mut self, pair: &str) -> Result<(), ConfigError> {
        match pair.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                self.set(k.trim(), v.trim());
                Ok(())
            }
            _ => Err(ConfigError::Syntax {
                file: "-X".into(),
                line: 1,
                text: pair.to_owned(),
            }),
        }
    }

    /// Appends every entry of `other`.
    pub fn extend(&mut self, other: Properties) {
        self.entries.extend(other.entries);
    }

    /// The last value set for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Removes every entry of `key`, returning the last value.
    pub fn take(&mut self, key: &str) -> Option<String> {
        let last = self.get(key).map(str::to_owned);
        self.entries.retain(|(k, _)| k != key);
        last
    }

    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Parses the text of a properties file: `key=value` lines; blank lines and lines starting with
/// `#` or `!` are skipped. `file` names the file in errors.
pub fn parse_properties_file(file: &str, text: &str) -> Result<Properties, ConfigError> {
    let mut props = Properties::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        match line.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => props.set(k.trim(), v.trim()),
            _ => {
                return Err(ConfigError::Syntax {
                    file: file.to_owned(),
                    line: i + 1,
                    text: raw.to_owned(),
                })
            }
        }
    }
    Ok(props)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_file_with_comments() {
        let p = parse_properties_file(
            "c.properties",
            "# comment\n\nbootstrap.servers = a:1,b:2\n! also comment\nclient.id=x=y\n",
        )
        .unwrap();
        assert_eq!(p.get("bootstrap.servers"), Some("a:1,b:2"));
        assert_eq!(p.get("client.id"), Some("x=y"));
    }

    #[test]
    fn bad_line_names_file_and_line() {
        let e = parse_properties_file("c.properties", "a=1\nnonsense\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "c.properties:2: expected key=value, got \"nonsense\""
        );
    }

    #[test]
    fn later_wins_and_take_removes() {
        let mut p = Properties::new();
        p.set_pair("a=1").unwrap();
        p.set_pair("a=2").unwrap();
        assert_eq!(p.take("a").as_deref(), Some("2"));
        assert!(p.is_empty());
        assert!(p.set_pair("=x").is_err());
    }
}
