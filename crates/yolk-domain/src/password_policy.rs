//! The password policy: Frontegg's password configuration (`/resources/configurations/v1/password`, the spec's
//! `PasswordConfigRequest`), one document per environment or tenant, enforced on every path that sets a password
//! (sign-up, user creation, activation, reset, change).
//!
//! yolk's reading of its fields: the length must be within `minLength`..=`maxLength`; `requiredTests.
//! checkThreeRepeatedChars` refuses three equal characters in a row; every test turned on in `optionalTests` must
//! pass, and at least `minOptionalTestsToPass` of the four (lower-case, upper-case, digit, symbol) must; a
//! passphrase (`allowPassphrases` and at least `minPhraseLength` characters) skips the optional tests;
//! `blockPwnedPasswords` refuses the passwords of an embedded list of the most common breached passwords
//! ([`COMMON_PASSWORDS`]).

use serde::{Deserialize, Serialize};

/// The password policy (Frontegg's `PasswordConfigResponse`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PasswordPolicy {
    pub allow_passphrases: bool,
    /// Maximum length in characters.
    pub max_length: usize,
    /// Minimum length in characters.
    pub min_length: usize,
    /// The length from which a password counts as a passphrase.
    pub min_phrase_length: usize,
    /// How many of the four optional tests must pass.
    pub min_optional_tests_to_pass: usize,
    /// Whether passwords of the embedded common-password list are refused.
    pub block_pwned_passwords: bool,
    pub optional_tests: OptionalTests,
    pub required_tests: RequiredTests,
}

/// `optionalTests`: each one turned on must pass.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OptionalTests {
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_numbers: bool,
    pub require_special_chars: bool,
}

/// `requiredTests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RequiredTests {
    pub check_three_repeated_chars: bool,
}

impl Default for RequiredTests {
    fn default() -> Self {
        Self { check_three_repeated_chars: true }
    }
}

impl Default for PasswordPolicy {
    /// Frontegg's defaults: 6 to 128 characters, no three repeated characters, no class required.
    fn default() -> Self {
        Self {
            allow_passphrases: false,
            max_length: 128,
            min_length: 6,
            min_phrase_length: 20,
            min_optional_tests_to_pass: 0,
            block_pwned_passwords: false,
            optional_tests: OptionalTests::default(),
            required_tests: RequiredTests::default(),
        }
    }
}

/// The longest password any policy may allow (argon2 hashes any length, but a bound keeps requests cheap).
pub const MAX_PASSWORD_LENGTH: usize = 1024;

/// Common breached passwords refused when `blockPwnedPasswords` is on (compared case-insensitively). A short
/// embedded list: yolk makes no outbound calls, so it cannot ask a breach service.
pub const COMMON_PASSWORDS: &[&str] = &[
    "123456",
    "123456789",
    "12345678",
    "password",
    "qwerty",
    "qwerty123",
    "1234567",
    "111111",
    "1234567890",
    "123123",
    "abc123",
    "1234",
    "password1",
    "iloveyou",
    "1q2w3e4r",
    "000000",
    "qwertyuiop",
    "123321",
    "654321",
    "555555",
    "lovely",
    "7777777",
    "welcome",
    "888888",
    "princess",
    "dragon",
    "password123",
    "123qwe",
    "666666",
    "1qaz2wsx",
    "monkey",
    "letmein",
    "football",
    "baseball",
    "sunshine",
    "master",
    "shadow",
    "superman",
    "michael",
    "trustno1",
    "qazwsx",
    "starwars",
    "whatever",
    "freedom",
    "passw0rd",
    "zaq12wsx",
    "admin",
    "admin123",
    "administrator",
    "root",
    "toor",
    "changeme",
    "secret",
    "welcome1",
    "welcome123",
    "p@ssw0rd",
    "p@ssword",
    "pa55word",
    "hello123",
    "charlie",
    "donald",
    "jordan23",
    "computer",
    "internet",
    "mustang",
    "access",
    "batman",
    "hunter2",
    "killer",
    "soccer",
    "hockey",
    "ranger",
    "buster",
    "thomas",
    "tigger",
    "robert",
    "harley",
    "jennifer",
    "hunter",
    "summer",
    "ashley",
    "daniel",
    "andrew",
    "joshua",
    "pepper",
    "ginger",
    "cheese",
    "matrix",
    "orange",
    "purple",
    "silver",
    "golden",
    "flower",
    "cookie",
    "qwerty1",
    "asdfgh",
    "asdfghjkl",
    "zxcvbnm",
    "1qazxsw2",
    "q1w2e3r4",
    "q1w2e3r4t5",
    "abcd1234",
    "aa123456",
    "a123456",
    "123abc",
    "12341234",
    "11111111",
    "87654321",
    "987654321",
    "00000000",
    "qwe123",
    "test123",
    "test1234",
    "guest",
    "default",
    "login",
    "letmein1",
    "iloveyou1",
    "password!",
    "Password1",
    "Password123",
    "Welcome1",
    "Qwerty123",
    "Passw0rd!",
];

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
        if self.required_tests.check_three_repeated_chars && has_three_repeats(password) {
            return Err("The password may not contain sequences of three or more repeated characters.".into());
        }
        if self.block_pwned_passwords && COMMON_PASSWORDS.iter().any(|p| p.eq_ignore_ascii_case(password)) {
            return Err("The password is too common: it appears in lists of breached passwords.".into());
        }
        if self.allow_passphrases && len >= self.min_phrase_length {
            return Ok(());
        }
        let t = &self.optional_tests;
        let tests = [
            (t.require_lowercase, password.chars().any(char::is_lowercase), "a lower-case letter"),
            (t.require_uppercase, password.chars().any(char::is_uppercase), "an upper-case letter"),
            (t.require_numbers, password.chars().any(|c| c.is_ascii_digit()), "a digit"),
            (t.require_special_chars, password.chars().any(|c| !c.is_alphanumeric()), "a symbol"),
        ];
        if let Some((_, _, what)) = tests.iter().find(|(required, passed, _)| *required && !passed) {
            return Err(format!("The password must contain {what}."));
        }
        let passed = tests.iter().filter(|(_, p, _)| *p).count();
        if passed < self.min_optional_tests_to_pass.min(4) {
            return Err(format!(
                "The password must contain at least {} of: lower-case letters, upper-case letters, digits, symbols.",
                self.min_optional_tests_to_pass.min(4)
            ));
        }
        Ok(())
    }

    /// Whether the policy is coherent (the message is for the client).
    pub fn validate(&self) -> Result<(), String> {
        if self.min_length < 1 || self.min_length > self.max_length || self.max_length > MAX_PASSWORD_LENGTH {
            return Err(format!(
                "minLength and maxLength must satisfy 1 <= minLength <= maxLength <= {MAX_PASSWORD_LENGTH}"
            ));
        }
        if self.min_optional_tests_to_pass > 4 {
            return Err("minOptionalTestsToPass must be between 0 and 4".into());
        }
        if self.min_phrase_length < self.min_length || self.min_phrase_length > self.max_length {
            return Err("minPhraseLength must be between minLength and maxLength".into());
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
        assert!(p.check("password").is_ok(), "not blocked unless asked");
        assert!(p.check(&"ab".repeat(65)).is_err());
    }

    #[test]
    fn optional_tests_each_and_counted() {
        let each = PasswordPolicy {
            optional_tests: OptionalTests { require_uppercase: true, require_numbers: true, ..Default::default() },
            ..Default::default()
        };
        assert_eq!(each.check("password9").unwrap_err(), "The password must contain an upper-case letter.");
        assert!(each.check("Password9").is_ok());
        let counted = PasswordPolicy { min_optional_tests_to_pass: 3, ..Default::default() };
        assert!(counted.check("password").is_err());
        assert!(counted.check("Password9").is_ok());
        let phrases = PasswordPolicy { allow_passphrases: true, ..counted };
        assert!(phrases.check("correct horse battery staple").is_ok(), "a passphrase skips the optional tests");
    }

    #[test]
    fn common_passwords_are_blocked_when_asked() {
        let p = PasswordPolicy { block_pwned_passwords: true, ..Default::default() };
        assert!(p.check("Password123").is_err());
        assert!(p.check("P@SSW0RD").is_err());
        assert!(p.check("a-less-common-one").is_ok());
    }

    #[test]
    fn incoherent_policies_are_refused() {
        assert!(PasswordPolicy { min_length: 10, max_length: 8, ..Default::default() }.validate().is_err());
        assert!(PasswordPolicy { min_optional_tests_to_pass: 5, ..Default::default() }.validate().is_err());
        assert!(PasswordPolicy::default().validate().is_ok());
    }
}
