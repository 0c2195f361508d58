//! Telephone numbers as a Chinese contact center meets them — on a SIP `From` header, typed by
//! an agent, in a spreadsheet — brought to one form so that the same line is always the same
//! key: E.164 (`+8613812345678`, `+861088886666`), or the bare digits of a short service
//! number (`95598`, `12345`) that has no E.164 form.
//!
//! What it accepts: mobiles (`138 1234 5678`, `+86 138…`, `0086138…`, `86138…`), landlines
//! with the trunk prefix `0` and an area code (`010-8888 6666`, `(0571)88886666`,
//! `+86 571 8888 6666`), local landline numbers when the center's own area code is known,
//! other countries in `+` or `00` form, and service numbers of 3–6 digits (and the `400`/`800`
//! ten-digit ones). Separators (spaces, dashes, dots, parentheses) and full-width digits are
//! ignored. It does not check that an area code exists: a number in a plausible shape is kept,
//! and anything else is an error saying why.
//!
//! It knows nothing of customers or storage.

/// Why a string is not a telephone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("no digits")]
    Empty,
    #[error("`{0}` is not allowed in a telephone number")]
    BadCharacter(char),
    #[error("{0} digits is not the length of any number")]
    BadLength(usize),
    #[error("a local number needs the center's area code")]
    NoAreaCode,
}

/// A number in normal form; see the crate documentation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Phone(String);

impl Phone {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with its last four digits kept and the middle ones hidden, for screens that
    /// must not show a whole number: `+86 138****5678`.
    pub fn masked(&self) -> String {
        let s = &self.0;
        let n = s.len();
        if n <= 7 {
            return s.clone();
        }
        let keep_head = if let Some(national) = s.strip_prefix("+86") {
            3 + national.len().min(3)
        } else {
            n.min(5)
        };
        format!(
            "{}{}{}",
            &s[..keep_head],
            "*".repeat(n - keep_head - 4),
            &s[n - 4..]
        )
    }
}

impl std::fmt::Display for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Normalises `raw`. `home_area` is the center's own area code without the trunk `0` (`"10"`
/// for Beijing, `"571"` for Hangzhou); with it, a local seven- or eight-digit landline number
/// gets that code, without it such a number is an error.
pub fn normalize(raw: &str, home_area: Option<&str>) -> Result<Phone, PhoneError> {
    let mut digits = String::with_capacity(raw.len());
    let mut plus = false;
    for c in raw.trim().chars() {
        let c = full_width_to_ascii(c);
        match c {
            '0'..='9' => digits.push(c),
            '+' if digits.is_empty() && !plus => plus = true,
            ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
            other => return Err(PhoneError::BadCharacter(other)),
        }
    }
    if digits.is_empty() {
        return Err(PhoneError::Empty);
    }
    // International forms: `+cc…` or `00cc…`.
    let international = if plus {
        Some(digits.as_str())
    } else {
        digits.strip_prefix("00")
    };
    if let Some(intl) = international {
        return match intl.strip_prefix("86") {
            Some(national) => china(national.trim_start_matches('0')),
            None if (8..=15).contains(&intl.len()) => Ok(Phone(format!("+{intl}"))),
            None => Err(PhoneError::BadLength(intl.len())),
        };
    }
    // `86` written without `+` before a mobile number is common in exported data.
    if digits.len() == 13 && digits.starts_with("861") {
        return china(&digits[2..]);
    }
    if let Some(national) = digits.strip_prefix('0') {
        return china(national);
    }
    if is_mobile(&digits) || is_special_ten(&digits) {
        return china(&digits);
    }
    if (3..=6).contains(&digits.len()) {
        return Ok(Phone(digits));
    }
    if (7..=8).contains(&digits.len()) {
        let area = home_area.ok_or(PhoneError::NoAreaCode)?;
        return china(&format!("{area}{digits}"));
    }
    Err(PhoneError::BadLength(digits.len()))
}

/// A Chinese national number (no trunk `0`): a mobile, a 400/800 number, or an area code and
/// a subscriber number.
fn china(national: &str) -> Result<Phone, PhoneError> {
    let n = national.len();
    let ok = is_mobile(national)
        || is_special_ten(national)
        // Two-digit area codes (10, 20–29) take eight-digit numbers; three-digit codes take
        // seven or eight.
        || (national.starts_with('1') || national.starts_with('2')) && n == 10
        || national.starts_with(|c: char| ('3'..='9').contains(&c)) && (10..=11).contains(&n);
    if ok {
        Ok(Phone(format!("+86{national}")))
    } else {
        Err(PhoneError::BadLength(n))
    }
}

fn is_mobile(d: &str) -> bool {
    d.len() == 11 && d.starts_with('1') && matches!(d.as_bytes()[1], b'3'..=b'9')
}

fn is_special_ten(d: &str) -> bool {
    d.len() == 10 && (d.starts_with("400") || d.starts_with("800"))
}

fn full_width_to_ascii(c: char) -> char {
    match c {
        '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
        '＋' => '+',
        '－' | '—' => '-',
        '（' => '(',
        '）' => ')',
        '　' => ' ',
        other => other,
    }
}

/// Why a center may not call a number out (click-to-call, callbacks): toll fraud is a
/// center made to call where nobody meant it to, abroad or to a premium service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialRefused {
    #[error("calls abroad are not allowed for this center")]
    International,
    #[error("service numbers ({0}) cannot be called out")]
    ServiceNumber(String),
    #[error("not one of the prefixes this center may call")]
    NotAllowed,
}

/// Whether `number` may be called out under a center's rules: numbers abroad only if
/// `international`; short service numbers (110, 12345, 95598) never — their lines are
/// for people to dial, not a dialler; and, when `allowed_prefixes` names any (in E.164,
/// `+86138`, `+8610`), only numbers starting with one of them.
pub fn dial_allowed(
    number: &Phone,
    international: bool,
    allowed_prefixes: &[String],
) -> Result<(), DialRefused> {
    let n = number.as_str();
    if !n.starts_with('+') {
        return Err(DialRefused::ServiceNumber(n.to_string()));
    }
    if !n.starts_with("+86") && !international {
        return Err(DialRefused::International);
    }
    if !allowed_prefixes.is_empty() && !allowed_prefixes.iter().any(|p| n.starts_with(p.as_str())) {
        return Err(DialRefused::NotAllowed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(raw: &str, expect: &str) {
        assert_eq!(
            normalize(raw, Some("571")).map(|p| p.0),
            Ok(expect.to_string()),
            "{raw}"
        );
    }

    #[test]
    fn mobiles_in_every_form_are_one_number() {
        for raw in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 138 1234 5678",
            "+8613812345678",
            "008613812345678",
            "8613812345678",
            "０１３８１２３４５６７８",
            "１３８１２３４５６７８",
            "+86 (0)138 1234 5678",
        ] {
            check(raw, "+8613812345678");
        }
    }

    #[test]
    fn landlines_with_and_without_the_trunk_prefix() {
        check("010-8888 6666", "+861088886666");
        check("(010)88886666", "+861088886666");
        check("+86 10 8888 6666", "+861088886666");
        check("0086-10-88886666", "+861088886666");
        check("0571-8888-6666", "+8657188886666");
        check("（0571）８８８８６６６６", "+8657188886666");
        check("0571 888 6666", "+865718886666");
        // Local numbers take the center's own area code.
        check("8888 6666", "+8657188886666");
        check("888-6666", "+865718886666");
    }

    #[test]
    fn service_and_special_numbers() {
        check("95598", "95598");
        check("12345", "12345");
        check("110", "110");
        check("400-820-8820", "+864008208820");
        check("800 810 8888", "+868008108888");
    }

    #[test]
    fn other_countries_keep_their_code() {
        check("+1 (415) 555-0100", "+14155550100");
        check("0044 20 7946 0958", "+442079460958");
    }

    #[test]
    fn bad_input_says_why() {
        assert_eq!(normalize("", None), Err(PhoneError::Empty));
        assert_eq!(normalize(" - ", None), Err(PhoneError::Empty));
        assert_eq!(
            normalize("138x1234", None),
            Err(PhoneError::BadCharacter('x'))
        );
        assert_eq!(
            normalize("1381234567890123", None),
            Err(PhoneError::BadLength(16))
        );
        assert_eq!(normalize("88886666", None), Err(PhoneError::NoAreaCode));
        assert_eq!(normalize("12", None), Err(PhoneError::BadLength(2)));
        assert_eq!(normalize("+86 12", None), Err(PhoneError::BadLength(2)));
        assert_eq!(normalize("1+38", None), Err(PhoneError::BadCharacter('+')));
    }

    #[test]
    fn masking_hides_the_middle() {
        assert_eq!(
            normalize("13812345678", None).unwrap().masked(),
            "+86138****5678"
        );
        assert_eq!(
            normalize("010 88886666", None).unwrap().masked(),
            "+86108***6666"
        );
        assert_eq!(normalize("95598", None).unwrap().masked(), "95598");
    }

    /// Issue 20: a center calls out only where its rules allow.
    #[test]
    fn issue_20_dial_rules_refuse_abroad_service_numbers_and_other_prefixes() {
        let n = |s: &str| normalize(s, None).unwrap();
        assert_eq!(dial_allowed(&n("13812345678"), false, &[]), Ok(()));
        assert_eq!(
            dial_allowed(&n("+1 415 555 0100"), false, &[]),
            Err(DialRefused::International)
        );
        assert_eq!(dial_allowed(&n("+1 415 555 0100"), true, &[]), Ok(()));
        assert!(matches!(
            dial_allowed(&n("110"), true, &[]),
            Err(DialRefused::ServiceNumber(_))
        ));
        let only_mobiles = ["+86138".to_string()];
        assert_eq!(
            dial_allowed(&n("13812345678"), false, &only_mobiles),
            Ok(())
        );
        assert_eq!(
            dial_allowed(&n("010 8888 6666"), false, &only_mobiles),
            Err(DialRefused::NotAllowed)
        );
    }
}
