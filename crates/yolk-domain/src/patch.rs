//! A field of a partial update: absent (keep), `null` (clear) or a value (set). Request bodies of update
//! operations deserialize into this, and the core applies it; an absent field can then never be mistaken for a
//! `null` one.

use serde::{Deserialize, Deserializer};

/// A field of a partial update. Use with `#[serde(default)]` so an absent field is [`Patch::Absent`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// The field was not sent.
    #[default]
    Absent,
    /// The field was sent as `null`.
    Null,
    /// The field was sent with a value.
    Value(T),
}

impl<T> Patch<T> {
    /// Whether the field was sent at all.
    pub fn is_present(&self) -> bool {
        !matches!(self, Self::Absent)
    }

    /// The patch with its value mapped (validated, converted), or the first error.
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Patch<U>, E> {
        Ok(match self {
            Self::Absent => Patch::Absent,
            Self::Null => Patch::Null,
            Self::Value(v) => Patch::Value(f(v)?),
        })
    }

    /// Applies the patch to an optional field: absent keeps it, `null` clears it, a value sets it.
    pub fn apply_to(self, field: &mut Option<T>) {
        match self {
            Self::Absent => {}
            Self::Null => *field = None,
            Self::Value(v) => *field = Some(v),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Only called for a field that is present (absent fields take `Default`).
        Ok(Option::<T>::deserialize(d)?.map_or(Self::Null, Self::Value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        a: Patch<String>,
        #[serde(default)]
        b: Patch<String>,
        #[serde(default)]
        c: Patch<String>,
    }

    #[test]
    fn absent_null_and_value_differ() {
        let body: Body = serde_json::from_str(r#"{"b": null, "c": "x"}"#).unwrap();
        assert_eq!((body.a, body.b, body.c), (Patch::Absent, Patch::Null, Patch::Value("x".to_owned())));
        let mut field = Some("old".to_owned());
        Patch::Absent.apply_to(&mut field);
        assert_eq!(field.as_deref(), Some("old"));
        Patch::Null.apply_to(&mut field);
        assert_eq!(field, None);
    }
}
