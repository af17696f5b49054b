//! The password policy: Frontegg's default complexity settings (the spec's password configuration), enforced on
//! every path that sets a password (signup, user creation, password change).

use serde::{Deserialize, Serialize};

/// Password complexity rules. The defaults are Frontegg's documented defaults: 6 to 128 characters, OWASP
/// optional tests off, so the minimum length is what a fresh environment enforces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordPolicy {
    /// Minimum length in characters.
    pub min_length: usize,
    /// Maximum length in characters.
    pub max_length: usize,
    /// Whether the OWASP optional tests (three of: lower, upper, digit, symbol) apply.
    pub allow_passphrases: bool,
    /// Minimum number of the optional OWASP tests that must pass when enforced.
    pub min_optional_tests_to_pass: usize,
    /// Whether the optional tests are enforced at all.
    pub enforce_optional_tests: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 6,
            max_length: 128,
            allow_passphrases: false,
            min_optional_tests_to_pass: 4,
            enforce_optional_tests: false,
        }
    }
}

impl PasswordPolicy {
    /// Checks `password` against the policy; the error is the message shown to the user.
    pub fn check(&self, password: &str) -> Result<(), String> {
        let len = password.chars().count();
        if len < self.min_length {
            return Err(format!("The password must be at least {} characters long.", self.min_length));
        }
        if len > self.max_length {
            return Err(format!("The password must be fewer than {} characters.", self.max_length));
        }
        if has_three_repeats(password) {
            return Err("The password may not contain sequences of three or more repeated characters.".into());
        }
        if self.enforce_optional_tests && !(self.allow_passphrases && len >= 20) {
            let tests = [
                password.chars().any(char::is_lowercase),
                password.chars().any(char::is_uppercase),
                password.chars().any(|c| c.is_ascii_digit()),
                password.chars().any(|c| !c.is_alphanumeric()),
            ];
            let passed = tests.iter().filter(|t| **t).count();
            if passed < self.min_optional_tests_to_pass.min(4) {
                return Err("The password must contain lower-case and upper-case letters, digits and symbols.".into());
            }
        }
        Ok(())
    }
}

fn has_three_repeats(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    chars.windows(3).any(|w| w[0] == w[1] && w[1] == w[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_enforces_length_and_repeats() {
        let p = PasswordPolicy::default();
        assert!(p.check("abc").is_err());
        assert!(p.check("aaab12").is_err());
        assert!(p.check("secret-pass").is_ok());
        assert!(p.check(&"ab".repeat(65)).is_err());
    }

    #[test]
    fn optional_tests_when_enforced() {
        let p = PasswordPolicy { enforce_optional_tests: true, ..Default::default() };
        assert!(p.check("password").is_err());
        assert!(p.check("Passw0rd!").is_ok());
    }
}
