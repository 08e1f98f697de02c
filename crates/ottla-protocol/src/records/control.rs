//! Control records: the transaction markers (COMMIT / ABORT) a coordinator writes.

use bytes::Bytes;

use super::RecordError;

/// The type of a control record (its key's second field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ControlKind {
    /// The transaction was aborted (type 0).
    Abort,
    /// The transaction was committed (type 1).
    Commit,
    /// A type this client does not know (Java logs and ignores these too).
    Unknown(i16),
}

impl ControlKind {
    /// The type id on the wire.
    pub fn type_id(self) -> i16 {
        match self {
            ControlKind::Abort => 0,
            ControlKind::Commit => 1,
            ControlKind::Unknown(id) => id,
        }
    }

    /// The kind with type id `id`.
    pub fn from_type_id(id: i16) -> Self {
        match id {
            0 => ControlKind::Abort,
            1 => ControlKind::Commit,
            other => ControlKind::Unknown(other),
        }
    }
}

/// The first record of a control batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ControlRecord {
    /// ABORT, COMMIT or unknown.
    pub kind: ControlKind,
    /// The version of the control record key.
    pub version: i16,
    /// The coordinator epoch of a transaction marker, from the record value; -1 when the value
    /// is absent or too short to hold it.
    pub coordinator_epoch: i32,
}

impl ControlRecord {
    /// Parses a control record from its key and value. The key is `[version: i16, type: i16]`
    /// (a negative version or a key shorter than 4 bytes is an error, as in Java); the value
    /// of a transaction marker is `[version: i16, coordinator_epoch: i32]`.
    pub fn parse(key: Option<&Bytes>, value: Option<&Bytes>) -> Result<Self, RecordError> {
        let key = key.ok_or_else(|| RecordError::malformed("control record without a key"))?;
        let (version, kind) = match key.get(..4) {
            Some(&[v0, v1, t0, t1]) => (
                i16::from_be_bytes([v0, v1]),
                ControlKind::from_type_id(i16::from_be_bytes([t0, t1])),
            ),
            _ => {
                return Err(RecordError::malformed(format!(
                    "control record key of {} bytes (at least 4 expected)",
                    key.len()
                )))
            }
        };
        if version < 0 {
            return Err(RecordError::malformed(format!(
                "control record key version {version}"
            )));
        }
        let coordinator_epoch = match value.and_then(|v| v.get(2..6)) {
            Some(&[a, b, c, d]) => i32::from_be_bytes([a, b, c, d]),
            _ => -1,
        };
        Ok(ControlRecord {
            kind,
            version,
            coordinator_epoch,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_markers() {
        let key = Bytes::from_static(&[0, 0, 0, 1]);
        let value = Bytes::from_static(&[0, 0, 0, 0, 0, 9]);
        let c = ControlRecord::parse(Some(&key), Some(&value)).unwrap();
        assert_eq!(c.kind, ControlKind::Commit);
        assert_eq!(c.version, 0);
        assert_eq!(c.coordinator_epoch, 9);

        let key = Bytes::from_static(&[0, 1, 0, 0, 0xff]);
        let c = ControlRecord::parse(Some(&key), None).unwrap();
        assert_eq!(c.kind, ControlKind::Abort);
        assert_eq!(c.version, 1);
        assert_eq!(c.coordinator_epoch, -1);

        let key = Bytes::from_static(&[0, 0, 0, 7]);
        assert_eq!(
            ControlRecord::parse(Some(&key), None).unwrap().kind,
            ControlKind::Unknown(7)
        );
        assert!(ControlRecord::parse(Some(&Bytes::from_static(&[0, 0, 0])), None).is_err());
        assert!(ControlRecord::parse(Some(&Bytes::from_static(&[0xff, 0, 0, 0])), None).is_err());
        assert!(ControlRecord::parse(None, None).is_err());
        for kind in [
            ControlKind::Abort,
            ControlKind::Commit,
            ControlKind::Unknown(-3),
        ] {
            assert_eq!(ControlKind::from_type_id(kind.type_id()), kind);
        }
    }
}
