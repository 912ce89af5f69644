//! `docs/porting-from-php.md` names what a porting team uses: every
//! `Builder` setting, every `Error` question, every option key and every
//! Guzzle option refused. These checks fail when one is added here and
//! not there. (Its code blocks run as doctests: `PortingGuideDoctests`.)

const GUIDE: &str = include_str!("../../docs/porting-from-php.md");

/// The names of the `pub fn`s in `source`, in order.
fn public_fns(source: &str) -> Vec<&str> {
    source
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("pub fn "))
        .filter_map(|rest| rest.split(['(', '<']).next())
        .collect()
}

/// The names the guide does not show as `shown(name)` does.
fn not_in_guide<'a>(
    names: impl IntoIterator<Item = &'a str>,
    shown: impl Fn(&str) -> String,
) -> Vec<&'a str> {
    names
        .into_iter()
        .filter(|name| !GUIDE.contains(&shown(name)))
        .collect()
}

#[test]
fn every_builder_setting_is_in_the_guide() {
    let settings = public_fns(include_str!("../src/builder.rs"));
    assert!(settings.len() > 20, "{settings:?}");
    let missing = not_in_guide(settings, |name| format!("{name}("));
    assert!(
        missing.is_empty(),
        "Builder methods the guide does not name: {missing:?}"
    );
}

#[test]
fn every_error_question_is_in_the_guide() {
    let questions: Vec<_> = public_fns(include_str!("../src/error.rs"))
        .into_iter()
        .filter(|name| name.starts_with("is_"))
        .collect();
    assert!(questions.len() > 10, "{questions:?}");
    let missing = not_in_guide(questions, |name| format!(".{name}()"));
    assert!(
        missing.is_empty(),
        "Error methods the guide does not name: {missing:?}"
    );
}

#[test]
fn every_option_and_every_refused_guzzle_option_is_in_the_guide() {
    let keys = wechatpay::options::RESERVED_KEYS
        .iter()
        .chain(wechatpay::options::GUZZLE_OPTIONS.iter().map(|(k, _)| k))
        .copied();
    let missing = not_in_guide(keys, |key| format!("`{key}`"));
    assert!(
        missing.is_empty(),
        "options the guide does not name: {missing:?}"
    );
}

#[test]
fn the_guide_has_every_section_the_porting_team_needs() {
    for heading in [
        "## The client",
        "### Where keys come from",
        "## Six call styles",
        "### In a service class: `chain!(self.client…)`",
        "## Promises become futures",
        "## Responses: the PSR-7 names",
        "## Errors: the Guzzle names",
        "### Before sending again: `is_before_send()`",
        "## Options",
        "## APIv2: a FAIL is an error",
        "## Media upload: only `MediaUtil::options()`",
        "## Where Rust differs from PHP, on purpose",
    ] {
        assert!(GUIDE.contains(&format!("\n{heading}\n")), "{heading}");
    }
    for name in [
        "getStatusCode()",
        "getReasonPhrase()",
        "getBody()",
        "getHeaderLine(",
        "RejectionException",
        "getResponse()",
        "Utils::all",
        "->otherwise(",
        "->wait()",
        "tokio::try_join!",
        "JoinSet",
        "from_pem_file",
        "file://",
    ] {
        assert!(GUIDE.contains(name), "{name}");
    }
}
