//! Converting APIv2 XML payloads to and from JSON-style maps: the Rust
//! counterpart of wechatpay-php's `WeChatPay\Transformer`.
//!
//! APIv2 talks in flat `<xml>` documents whose leaves are strings, so the
//! data model here is deliberately small: a document is a
//! [`serde_json::Map`] whose values are strings, nested maps, or lists of
//! those. Anything outside that model (attributes, mixed content, DTDs) is
//! either ignored or rejected as described on [`to_map`].
//!
//! The reader is built to be safe on hostile input without any
//! configuration: it never processes a DTD, never expands an entity other
//! than the five predefined ones and numeric character references, and
//! bounds input size, nesting depth and element count before it allocates
//! anything proportional to them.
//!
//! ```
//! use serde_json::{Map, Value};
//! use wechatpay::transformer::{to_map, to_xml};
//!
//! let mut request = Map::new();
//! request.insert("appid".into(), Value::from("wx2421b1c4370ec43b"));
//! request.insert("body".into(), Value::from("腾讯充值中心-QQ会员充值"));
//! let xml = to_xml(&request).unwrap();
//! assert_eq!(
//!     xml,
//!     "<xml><appid>wx2421b1c4370ec43b</appid>\
//!      <body><![CDATA[腾讯充值中心-QQ会员充值]]></body></xml>"
//! );
//! assert_eq!(to_map(&xml).unwrap(), request);
//! ```

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde_json::{Map, Value};

/// Deepest element nesting accepted, counting the root element as depth 1.
///
/// APIv2 documents are at most a few levels deep; the bound exists so that
/// neither parsing nor the caller's later recursion over the result can be
/// driven into stack exhaustion. [`to_xml`] enforces the same bound so that
/// everything it writes is readable by [`to_map`].
///
/// ```
/// use wechatpay::transformer::{MAX_DEPTH, XmlError, to_map};
///
/// let deep = format!("{}{}", "<a>".repeat(MAX_DEPTH + 1), "</a>".repeat(MAX_DEPTH + 1));
/// assert!(matches!(to_map(&deep), Err(XmlError::TooDeep { .. })));
/// ```
pub const MAX_DEPTH: usize = 16;

/// Largest document, in bytes, that [`to_map`] will look at.
///
/// Real APIv2 replies are a few kilobytes; refusing anything bigger up front
/// keeps a hostile peer from making us buffer arbitrary amounts of text.
///
/// ```
/// use wechatpay::transformer::{MAX_INPUT, XmlError, to_map};
///
/// let huge = format!("<xml><a>{}</a></xml>", "x".repeat(MAX_INPUT));
/// assert!(matches!(to_map(&huge), Err(XmlError::TooLarge { .. })));
/// ```
pub const MAX_INPUT: usize = 4 * 1024 * 1024;

/// Most elements (the root included) a document may contain.
///
/// Without it, a document under [`MAX_INPUT`] made of millions of `<a/>`
/// would still cost far more memory as maps than as text.
///
/// ```
/// use wechatpay::transformer::{MAX_ELEMENTS, XmlError, to_map};
///
/// let many = format!("<xml>{}</xml>", "<a/>".repeat(MAX_ELEMENTS));
/// assert!(matches!(to_map(&many), Err(XmlError::TooManyElements { .. })));
/// ```
pub const MAX_ELEMENTS: usize = 10_000;

/// Why a document could not be read or a map could not be written.
///
/// Positions are byte offsets into the string given to [`to_map`], pointing
/// at (or just after) the offending construct.
///
/// ```
/// use wechatpay::transformer::{XmlError, to_map};
///
/// match to_map("<xml><a>1</b></xml>") {
///     Err(XmlError::Malformed { position, reason }) => {
///         assert!(position > 0);
///         assert!(!reason.is_empty());
///     }
///     other => panic!("unexpected: {other:?}"),
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    /// The input is longer than [`MAX_INPUT`], or the output of [`to_xml`]
    /// would be.
    #[error("XML document is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// Size of the document in bytes.
        size: usize,
        /// The limit that was exceeded.
        limit: usize,
    },
    /// Elements are nested deeper than [`MAX_DEPTH`].
    #[error("XML elements are nested deeper than the limit of {limit}")]
    TooDeep {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The document holds more than [`MAX_ELEMENTS`] elements.
    #[error("XML document has more than {limit} elements")]
    TooManyElements {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// A `<!DOCTYPE ...>` was found. DTDs are the vehicle for entity
    /// expansion and external-entity attacks, so they are refused outright.
    #[error("DOCTYPE declaration at byte {position} refused: DTDs are never processed")]
    Doctype {
        /// Byte offset of the declaration.
        position: u64,
    },
    /// An entity reference other than `&lt;`, `&gt;`, `&amp;`, `&apos;`,
    /// `&quot;` or a numeric character reference. Without a DTD such a
    /// reference is undefined, and passing it through verbatim would let a
    /// peer smuggle text that looks escaped.
    #[error("reference to unknown entity `&{name};` at byte {position}")]
    UnknownEntity {
        /// Byte offset of the reference.
        position: u64,
        /// The entity name, without `&` and `;`.
        name: String,
    },
    /// A processing instruction (`<?target ...?>`) other than the leading XML
    /// declaration. APIv2 never sends one, and nothing here would act on it.
    #[error("processing instruction at byte {position} refused")]
    ProcessingInstruction {
        /// Byte offset of the instruction.
        position: u64,
    },
    /// The input is not well-formed XML: empty input, mismatched or unclosed
    /// tags, text or a second element outside the root, a misplaced XML
    /// declaration, characters XML forbids, and the like.
    #[error("malformed XML at byte {position}: {reason}")]
    Malformed {
        /// Byte offset where the problem was noticed.
        position: u64,
        /// Human-readable description of the problem.
        reason: String,
    },
    /// Well-formed XML that has no faithful map form, such as an element
    /// holding both text and child elements.
    #[error("unsupported XML structure at byte {position}: {reason}")]
    Unsupported {
        /// Byte offset where the problem was noticed.
        position: u64,
        /// Human-readable description of the problem.
        reason: String,
    },
    /// A map key that cannot be used as an element name.
    #[error("`{name}` is not usable as an XML element name")]
    InvalidName {
        /// The offending key.
        name: String,
    },
    /// A map value that has no XML form, such as a list directly inside a
    /// list or a string holding a character XML 1.0 cannot carry.
    #[error("value of `{key}` cannot be written as XML: {reason}")]
    Unrepresentable {
        /// Key under which the value was found.
        key: String,
        /// Human-readable description of the problem.
        reason: String,
    },
}

/// Serializes a map as an APIv2 `<xml>` document, like PHP's
/// `Transformer::toXml`.
///
/// Each key becomes one element, in the map's order. Values are written as:
///
/// * strings made only of `A-Z a-z 0-9 _ . -` (including the empty string)
///   as plain text, every other string as CDATA. A `]]>` inside the string
///   is split across two CDATA sections and a carriage return is written as
///   `&#13;` (outside CDATA), so that any string survives a round trip —
///   which PHP's version does not guarantee;
/// * numbers in their JSON form, `true` as `1` and `false` as empty text,
///   mirroring PHP's string casts;
/// * `null` is skipped, as in PHP;
/// * nested maps as nested elements;
/// * lists as the element repeated once per item (not PHP's `<item>`
///   children), which is how APIv2 documents spell repetition.
///
/// Reading the output back with [`to_map`] gives every string unchanged,
/// numbers and booleans as their text, and a one-item list as its item;
/// empty lists and empty maps do not survive.
///
/// # Errors
///
/// [`XmlError::InvalidName`] for a key that is not an XML name (colons are
/// refused too, since they would need namespace declarations),
/// [`XmlError::Unrepresentable`] for a list inside a list or a string with a
/// character XML 1.0 forbids (such as U+0000), and [`XmlError::TooDeep`],
/// [`XmlError::TooManyElements`] or [`XmlError::TooLarge`] when the result
/// would exceed what [`to_map`] accepts.
///
/// ```
/// use serde_json::json;
/// use wechatpay::transformer::to_xml;
///
/// let value = json!({
///     "total_fee": 888,
///     "detail": "a]]>b",
///     "coupon": ["c1", "c2"],
///     "scene_info": { "id": "SZTX001" },
///     "skipped": null,
/// });
/// let xml = to_xml(value.as_object().unwrap()).unwrap();
/// assert_eq!(
///     xml,
///     "<xml><total_fee>888</total_fee>\
///      <detail><![CDATA[a]]]]><![CDATA[>b]]></detail>\
///      <coupon>c1</coupon><coupon>c2</coupon>\
///      <scene_info><id>SZTX001</id></scene_info></xml>"
/// );
/// ```
pub fn to_xml(map: &Map<String, Value>) -> Result<String, XmlError> {
    let mut writer = Writer {
        out: String::with_capacity(64 + 48 * map.len()),
        elements: 1,
    };
    writer.out.push_str("<xml>");
    writer.children(map, 1)?;
    writer.out.push_str("</xml>");
    if writer.out.len() > MAX_INPUT {
        return Err(XmlError::TooLarge {
            size: writer.out.len(),
            limit: MAX_INPUT,
        });
    }
    Ok(writer.out)
}

struct Writer {
    out: String,
    elements: usize,
}

impl Writer {
    /// `depth` is the depth of the element whose children these are.
    fn children(&mut self, map: &Map<String, Value>, depth: usize) -> Result<(), XmlError> {
        for (key, value) in map {
            match value {
                Value::Array(items) => {
                    for item in items {
                        self.element(key, item, depth + 1)?;
                    }
                }
                _ => self.element(key, value, depth + 1)?,
            }
        }
        Ok(())
    }

    fn element(&mut self, name: &str, value: &Value, depth: usize) -> Result<(), XmlError> {
        let text: Option<&str> = match value {
            Value::Null => return Ok(()),
            Value::Array(_) => {
                return Err(XmlError::Unrepresentable {
                    key: name.to_owned(),
                    reason: "a list directly inside a list has no XML form".into(),
                });
            }
            Value::Bool(true) => Some("1"),
            Value::Bool(false) => Some(""),
            _ => None,
        };
        if !is_xml_name(name) || name.contains(':') {
            return Err(XmlError::InvalidName {
                name: name.to_owned(),
            });
        }
        if depth > MAX_DEPTH {
            return Err(XmlError::TooDeep { limit: MAX_DEPTH });
        }
        self.elements += 1;
        if self.elements > MAX_ELEMENTS {
            return Err(XmlError::TooManyElements {
                limit: MAX_ELEMENTS,
            });
        }
        // Bail out early rather than building a huge string only to reject it.
        if self.out.len() > MAX_INPUT {
            return Err(XmlError::TooLarge {
                size: self.out.len(),
                limit: MAX_INPUT,
            });
        }

        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        match (text, value) {
            (Some(text), _) => self.out.push_str(text),
            (None, Value::Number(n)) => self.out.push_str(&n.to_string()),
            (None, Value::String(s)) => self.string(name, s)?,
            (None, Value::Object(map)) => self.children(map, depth)?,
            // Null, Bool and Array were settled above.
            (None, _) => {}
        }
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        Ok(())
    }

    fn string(&mut self, key: &str, s: &str) -> Result<(), XmlError> {
        if let Some(bad) = s.chars().find(|&c| !is_xml_char(c)) {
            return Err(XmlError::Unrepresentable {
                key: key.to_owned(),
                reason: format!("U+{:04X} is not allowed in XML 1.0", u32::from(bad)),
            });
        }
        let plain = s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if plain {
            self.out.push_str(s);
            return Ok(());
        }
        // Parsers turn a raw CR (alone or before LF) into LF, even inside
        // CDATA; only a character reference carries it through intact.
        for (i, segment) in s.split('\r').enumerate() {
            if i > 0 {
                self.out.push_str("&#13;");
            }
            if segment.is_empty() {
                continue;
            }
            self.out.push_str("<![CDATA[");
            // `]]>` would end the section early: close after `]]`, reopen
            // before `>`.
            let mut rest = segment;
            while let Some(at) = rest.find("]]>") {
                self.out.push_str(&rest[..at]);
                self.out.push_str("]]]]><![CDATA[>");
                rest = &rest[at + 3..];
            }
            self.out.push_str(rest);
            self.out.push_str("]]>");
        }
        Ok(())
    }
}

/// Parses an APIv2 XML document into a map, like PHP's
/// `Transformer::toArray`.
///
/// The root element may have any name; its children become the map's
/// entries, in document order. A child with no child elements of its own
/// becomes a [`Value::String`] of its text (text, CDATA and character
/// references concatenated, predefined entities decoded, line endings
/// normalized as XML 1.0 requires); a child with child elements becomes a
/// [`Value::Object`]; a name repeated among siblings becomes a
/// [`Value::Array`] in document order, placed where the name first
/// appeared. Whitespace-only text next to child elements is ignored, as are
/// comments and attributes (APIv2 does not use attributes; they are still
/// checked for well-formedness). An optional byte-order mark and a leading
/// `<?xml ...?>` declaration are accepted; the declared encoding is ignored
/// because the input is already a Rust string.
///
/// # Errors
///
/// * [`XmlError::TooLarge`], [`XmlError::TooDeep`],
///   [`XmlError::TooManyElements`] past [`MAX_INPUT`], [`MAX_DEPTH`] and
///   [`MAX_ELEMENTS`];
/// * [`XmlError::Doctype`] for any `<!DOCTYPE`, wherever it appears;
/// * [`XmlError::UnknownEntity`] for any entity reference other than the
///   five predefined ones and numeric character references;
/// * [`XmlError::ProcessingInstruction`] for any `<?...?>` other than the
///   leading XML declaration — refused rather than skipped, since a
///   document that carries one was not written for this API;
/// * [`XmlError::Unsupported`] for an element mixing non-whitespace text
///   with child elements, including a root that holds text;
/// * [`XmlError::Malformed`] for everything that is not well-formed XML.
///
/// ```
/// use serde_json::{Value, json};
/// use wechatpay::transformer::to_map;
///
/// let map = to_map(
///     "<xml><return_code><![CDATA[SUCCESS]]></return_code>\
///      <total_fee>1</total_fee>\
///      <coupon_id>a</coupon_id><coupon_id>b</coupon_id>\
///      <note>&lt;&#x4F60;&#22909;&gt;</note></xml>",
/// )
/// .unwrap();
/// assert_eq!(
///     Value::Object(map),
///     json!({
///         "return_code": "SUCCESS",
///         "total_fee": "1",
///         "coupon_id": ["a", "b"],
///         "note": "<你好>",
///     })
/// );
/// ```
pub fn to_map(xml: &str) -> Result<Map<String, Value>, XmlError> {
    if xml.len() > MAX_INPUT {
        return Err(XmlError::TooLarge {
            size: xml.len(),
            limit: MAX_INPUT,
        });
    }
    let body = xml.strip_prefix('\u{FEFF}').unwrap_or(xml);
    // Report positions in the caller's string, not in the BOM-less slice.
    let offset = (xml.len() - body.len()) as u64;

    let mut reader = Reader::from_str(body);
    let config = reader.config_mut();
    config.allow_dangling_amp = false;
    config.allow_unmatched_ends = false;
    config.check_comments = true;
    config.check_end_names = true;
    config.expand_empty_elements = false;
    config.trim_text_start = false;
    config.trim_text_end = false;

    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Map<String, Value>> = None;
    let mut elements = 0usize;
    let mut first_event = true;

    loop {
        let position = reader.buffer_position() + offset;
        let event = reader.read_event().map_err(|e| XmlError::Malformed {
            position: reader.error_position() + offset,
            reason: e.to_string(),
        })?;
        let is_first = std::mem::replace(&mut first_event, false);
        match event {
            Event::Decl(decl) => {
                if !is_first {
                    return Err(malformed(
                        position,
                        "XML declaration is only allowed at the very start",
                    ));
                }
                decl.version().map_err(|e| XmlError::Malformed {
                    position,
                    reason: e.to_string(),
                })?;
            }
            Event::DocType(_) => return Err(XmlError::Doctype { position }),
            Event::PI(_) => return Err(XmlError::ProcessingInstruction { position }),
            Event::Comment(_) => {}
            Event::Start(start) => {
                let frame = open(&start, position, &stack, &root, &mut elements)?;
                stack.push(frame);
            }
            Event::Empty(start) => {
                let frame = open(&start, position, &stack, &root, &mut elements)?;
                close(frame, position, &mut stack, &mut root)?;
            }
            Event::End(_) => {
                // quick-xml has already matched the end tag against the open one.
                let frame = stack
                    .pop()
                    .ok_or_else(|| malformed(position, "end tag without a start tag"))?;
                close(frame, position, &mut stack, &mut root)?;
            }
            Event::Text(text) => {
                let text = text.xml10_content();
                if text.contains("]]>") {
                    return Err(malformed(position, "`]]>` is not allowed in text"));
                }
                check_chars(&text, position)?;
                match stack.last_mut() {
                    Some(frame) => frame.text.push_str(&text),
                    None if is_xml_whitespace(&text) => {}
                    None => return Err(malformed(position, "text outside the root element")),
                }
            }
            Event::CData(cdata) => {
                let text = cdata.xml10_content();
                check_chars(&text, position)?;
                match stack.last_mut() {
                    Some(frame) => frame.text.push_str(&text),
                    None => return Err(malformed(position, "CDATA outside the root element")),
                }
            }
            Event::GeneralRef(reference) => {
                let c = resolve_reference(&reference, position)?;
                match stack.last_mut() {
                    Some(frame) => frame.text.push(c),
                    None => return Err(malformed(position, "reference outside the root element")),
                }
            }
            Event::Eof => break,
        }
    }

    if let Some(frame) = stack.last() {
        return Err(malformed(
            reader.buffer_position() + offset,
            format!("document ends inside <{}>", frame.name),
        ));
    }
    root.ok_or_else(|| malformed(reader.buffer_position() + offset, "no root element"))
}

/// An element whose end tag has not been seen yet.
struct Frame {
    name: String,
    children: Map<String, Value>,
    text: String,
    has_children: bool,
}

fn open(
    start: &BytesStart<'_>,
    position: u64,
    stack: &[Frame],
    root: &Option<Map<String, Value>>,
    elements: &mut usize,
) -> Result<Frame, XmlError> {
    if root.is_some() {
        return Err(malformed(position, "second element after the root element"));
    }
    if stack.len() + 1 > MAX_DEPTH {
        return Err(XmlError::TooDeep { limit: MAX_DEPTH });
    }
    *elements += 1;
    if *elements > MAX_ELEMENTS {
        return Err(XmlError::TooManyElements {
            limit: MAX_ELEMENTS,
        });
    }
    let name = start.name().0;
    if !is_xml_name(name) {
        return Err(malformed(
            position,
            format!("`{name}` is not a valid element name"),
        ));
    }
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| XmlError::Malformed {
            position,
            reason: e.to_string(),
        })?;
        check_attribute_value(&attribute.value, position)?;
    }
    Ok(Frame {
        name: name.to_owned(),
        children: Map::new(),
        text: String::new(),
        has_children: false,
    })
}

fn close(
    frame: Frame,
    position: u64,
    stack: &mut [Frame],
    root: &mut Option<Map<String, Value>>,
) -> Result<(), XmlError> {
    if frame.has_children && !is_xml_whitespace(&frame.text) {
        return Err(XmlError::Unsupported {
            position,
            reason: format!("<{}> mixes text with child elements", frame.name),
        });
    }
    let Some(parent) = stack.last_mut() else {
        if !is_xml_whitespace(&frame.text) {
            return Err(XmlError::Unsupported {
                position,
                reason: format!("root <{}> holds text instead of child elements", frame.name),
            });
        }
        *root = Some(frame.children);
        return Ok(());
    };
    let value = if frame.has_children {
        Value::Object(frame.children)
    } else {
        Value::String(frame.text)
    };
    parent.has_children = true;
    // A single element never yields an array, so an existing array can only
    // come from an earlier repetition of this name.
    match parent.children.get_mut(&frame.name) {
        None => {
            parent.children.insert(frame.name, value);
        }
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
    Ok(())
}

/// Resolves the name between `&` and `;`. Only what XML defines without a
/// DTD is honoured, so no document can make us expand anything else.
fn resolve_reference(name: &str, position: u64) -> Result<char, XmlError> {
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            let Some(number) = name.strip_prefix('#') else {
                return Err(XmlError::UnknownEntity {
                    position,
                    name: name.to_owned(),
                });
            };
            // Checked by hand because `from_str_radix` would also take a
            // leading `+`, which XML does not allow.
            let (digits, radix) = match number.strip_prefix('x') {
                Some(hex) => (hex, 16),
                None => (number, 10),
            };
            let code = if !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix)) {
                u32::from_str_radix(digits, radix).ok()
            } else {
                None
            };
            match code.and_then(char::from_u32).filter(|&c| is_xml_char(c)) {
                Some(c) => c,
                None => {
                    return Err(malformed(
                        position,
                        format!("`&{name};` is not a valid character reference"),
                    ));
                }
            }
        }
    };
    Ok(c)
}

/// Attribute values are discarded, but a reference in one must obey the same
/// rules as in text, or the document would be accepted here and rejected (or
/// expanded) by any other parser.
fn check_attribute_value(raw: &str, position: u64) -> Result<(), XmlError> {
    if raw.contains('<') {
        return Err(malformed(
            position,
            "`<` is not allowed in an attribute value",
        ));
    }
    check_chars(raw, position)?;
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        let after = &rest[amp + 1..];
        let Some(semicolon) = after.find(';') else {
            return Err(malformed(
                position,
                "unterminated reference in attribute value",
            ));
        };
        resolve_reference(&after[..semicolon], position)?;
        rest = &after[semicolon + 1..];
    }
    Ok(())
}

fn check_chars(text: &str, position: u64) -> Result<(), XmlError> {
    match text.chars().find(|&c| !is_xml_char(c)) {
        None => Ok(()),
        Some(c) => Err(malformed(
            position,
            format!("character U+{:04X} is not allowed in XML 1.0", u32::from(c)),
        )),
    }
}

fn malformed(position: u64, reason: impl Into<String>) -> XmlError {
    XmlError::Malformed {
        position,
        reason: reason.into(),
    }
}

/// XML 1.0 `Char`; Rust strings cannot hold surrogates, so only the
/// controls and the two non-characters need excluding.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// XML's `S` production: Unicode's notion of whitespace is wider, and
/// ignoring, say, a no-break space would lose data.
fn is_xml_whitespace(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// XML 1.0 (fifth edition) `Name`.
fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start_char) && chars.all(is_name_char)
}

fn is_name_start_char(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c,
            '-' | '.' | '0'..='9' | '\u{B7}'
            | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn round_trip(value: Value) {
        let map = obj(value);
        let xml = to_xml(&map).unwrap();
        assert_eq!(to_map(&xml).unwrap(), map, "through {xml}");
    }

    #[test]
    fn round_trips_awkward_strings() {
        round_trip(json!({
            "chinese": "腾讯充值中心-QQ会员充值",
            "cdata_end": "a]]>b]]>]]>c]]",
            "only_end": "]]>",
            "specials": "<&>'\"",
            "entities": "&lt;&amp;&#65;",
            "spaces": "  ",
            "empty": "",
            "newlines": "a\r\nb\rc\nd\r",
            "cr": "\r",
            "tabs": "\t x \t",
            "emoji": "😀 ",
            "nbsp": "\u{A0}",
            "plain": "SUCCESS_1.0-x",
        }));
    }

    #[test]
    fn round_trips_nesting_and_lists() {
        round_trip(json!({
            "scene_info": { "store_info": { "id": "SZTX001", "name": "腾讯大厦分店" } },
            "coupon_id": ["1", "2", "3"],
            "goods": [{ "id": "a", "qty": "1" }, { "id": "b", "tags": ["x", "y"] }],
            "after": "z",
        }));
    }

    #[test]
    fn scalars_are_written_like_php_casts() {
        let map = obj(json!({
            "int": 888, "neg": -1, "float": 1.5,
            "yes": true, "no": false, "nothing": null,
        }));
        let xml = to_xml(&map).unwrap();
        assert_eq!(
            xml,
            "<xml><int>888</int><neg>-1</neg><float>1.5</float><yes>1</yes><no></no></xml>"
        );
        assert_eq!(
            Value::Object(to_map(&xml).unwrap()),
            json!({ "int": "888", "neg": "-1", "float": "1.5", "yes": "1", "no": "" })
        );
    }

    #[test]
    fn cdata_is_used_only_when_needed() {
        let xml = to_xml(&obj(json!({ "a": "A-z_0.9", "b": "a b", "c": "x]]>y" }))).unwrap();
        assert_eq!(
            xml,
            "<xml><a>A-z_0.9</a><b><![CDATA[a b]]></b>\
             <c><![CDATA[x]]]]><![CDATA[>y]]></c></xml>"
        );
    }

    #[test]
    fn empty_map_round_trips() {
        assert_eq!(to_xml(&Map::new()).unwrap(), "<xml></xml>");
        assert!(to_map("<xml></xml>").unwrap().is_empty());
        assert!(to_map("<xml/>").unwrap().is_empty());
    }

    #[test]
    fn writer_rejects_what_it_cannot_express() {
        for bad in ["", "1abc", "a b", "a<b", "ns:tag", "-x", "a&b"] {
            let err = to_xml(&obj(json!({ bad: "v" }))).unwrap_err();
            assert!(matches!(err, XmlError::InvalidName { .. }), "{bad}: {err}");
        }
        // Valid names beyond ASCII are fine.
        round_trip(json!({ "商户号": "1", "_a.b-c": "2" }));

        let err = to_xml(&obj(json!({ "a": "nul\u{0}" }))).unwrap_err();
        assert!(matches!(err, XmlError::Unrepresentable { .. }), "{err}");
        let err = to_xml(&obj(json!({ "a": [["x"]] }))).unwrap_err();
        assert!(matches!(err, XmlError::Unrepresentable { .. }), "{err}");
        let err = to_xml(&obj(json!({ "a": "\u{FFFF}" }))).unwrap_err();
        assert!(matches!(err, XmlError::Unrepresentable { .. }), "{err}");
    }

    #[test]
    fn writer_enforces_reader_limits() {
        fn nested(levels: usize) -> Value {
            (0..levels).fold(json!("leaf"), |inner, _| json!({ "a": inner }))
        }
        // Root plus MAX_DEPTH - 1 levels is the deepest readable document.
        round_trip(nested(MAX_DEPTH - 1));
        let err = to_xml(&obj(nested(MAX_DEPTH))).unwrap_err();
        assert!(matches!(err, XmlError::TooDeep { .. }), "{err}");

        let many = json!({ "a": vec!["x"; MAX_ELEMENTS] });
        let err = to_xml(&obj(many)).unwrap_err();
        assert!(matches!(err, XmlError::TooManyElements { .. }), "{err}");

        let big = json!({ "a": "é".repeat(MAX_INPUT / 2) });
        let err = to_xml(&obj(big)).unwrap_err();
        assert!(matches!(err, XmlError::TooLarge { .. }), "{err}");
    }

    #[test]
    fn parses_wechat_pay_reply() {
        let xml = "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg><appid><![CDATA[wx2421b1c4370ec43b]]></appid><mch_id><![CDATA[10000100]]></mch_id><nonce_str><![CDATA[IITRi8Iabbblz1Jc]]></nonce_str><sign><![CDATA[7921E432F65EB8ED0CE9755F0E86D72F]]></sign><result_code><![CDATA[SUCCESS]]></result_code><prepay_id><![CDATA[wx201411101639507cbf6ffd8b0779950874]]></prepay_id><trade_type><![CDATA[JSAPI]]></trade_type></xml>";
        let map = to_map(xml).unwrap();
        let expected = json!({
            "return_code": "SUCCESS",
            "return_msg": "OK",
            "appid": "wx2421b1c4370ec43b",
            "mch_id": "10000100",
            "nonce_str": "IITRi8Iabbblz1Jc",
            "sign": "7921E432F65EB8ED0CE9755F0E86D72F",
            "result_code": "SUCCESS",
            "prepay_id": "wx201411101639507cbf6ffd8b0779950874",
            "trade_type": "JSAPI",
        });
        assert_eq!(Value::Object(map.clone()), expected);
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        assert_eq!(keys[0], "return_code");
        assert_eq!(keys[8], "trade_type");
    }

    #[test]
    fn parses_the_tolerated_extras() {
        let xml = "\u{FEFF}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                   <!-- reply -->\n<root>\n  <a attr=\"x &amp; y\">1</a>\n  \
                   <b>t<![CDATA[<c>]]>&#x4e2d;&#25991;&quot;</b>\n  <e/>\n  \
                   <ws>  </ws><ns:q>n</ns:q>\r\n  <a>2</a><a>3</a>\n</root>\n<!-- end -->\n";
        assert_eq!(
            Value::Object(to_map(xml).unwrap()),
            json!({
                "a": ["1", "2", "3"],
                "b": "t<c>中文\"",
                "e": "",
                "ws": "  ",
                "ns:q": "n",
            })
        );
        // Raw CRs are line ends and get normalized; `&#13;` survives.
        assert_eq!(
            Value::Object(to_map("<xml><a>x\r\ny\rz&#13;</a></xml>").unwrap()),
            json!({ "a": "x\ny\nz\r" })
        );
    }

    fn assert_err(xml: &str, check: impl Fn(&XmlError) -> bool) {
        match to_map(xml) {
            Ok(map) => panic!("accepted {xml:?} as {map:?}"),
            Err(err) => assert!(check(&err), "{xml:?}: unexpected {err:?}"),
        }
    }

    #[test]
    fn rejects_billion_laughs() {
        let xml = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol9;</lolz>"#;
        assert_err(xml, |e| matches!(e, XmlError::Doctype { position: 22 }));
    }

    #[test]
    fn rejects_external_entities() {
        assert_err(
            r#"<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml>&e;</xml>"#,
            |e| matches!(e, XmlError::Doctype { position: 0 }),
        );
        assert_err(
            r#"<!DOCTYPE xml SYSTEM "http://example.invalid/x.dtd"><xml/>"#,
            |e| matches!(e, XmlError::Doctype { .. }),
        );
        // A DOCTYPE cannot hide inside the root either.
        assert_err("<xml><!DOCTYPE x><a>1</a></xml>", |e| {
            matches!(e, XmlError::Doctype { .. }) || matches!(e, XmlError::Malformed { .. })
        });
    }

    #[test]
    fn rejects_unknown_entities() {
        assert_err(
            "<xml><a>&foo;</a></xml>",
            |e| matches!(e, XmlError::UnknownEntity { name, position: 8 } if name == "foo"),
        );
        assert_err("<xml><a>&e;</a></xml>", |e| {
            matches!(e, XmlError::UnknownEntity { .. })
        });
        assert_err(r#"<xml><a b="&foo;">1</a></xml>"#, |e| {
            matches!(e, XmlError::UnknownEntity { .. })
        });
        for bad in [
            "&#0;",
            "&#x;",
            "&#xD800;",
            "&#+65;",
            "&#X41;",
            "&#x110000;",
            "&#99999999999;",
        ] {
            let xml = format!("<xml><a>{bad}</a></xml>");
            assert_err(&xml, |e| matches!(e, XmlError::Malformed { .. }));
        }
        assert_err("<xml><a>a & b</a></xml>", |e| {
            matches!(e, XmlError::Malformed { .. })
        });
    }

    #[test]
    fn rejects_processing_instructions() {
        assert_err("<xml><?php echo 1; ?><a>1</a></xml>", |e| {
            matches!(e, XmlError::ProcessingInstruction { position: 5 })
        });
        assert_err("<?xml-stylesheet href=\"a\"?><xml/>", |e| {
            matches!(e, XmlError::ProcessingInstruction { .. })
        });
        // The declaration is only tolerated in first place.
        assert_err(" <?xml version=\"1.0\"?><xml/>", |e| {
            matches!(e, XmlError::Malformed { .. })
        });
        assert_err("<xml/><?xml version=\"1.0\"?>", |e| {
            matches!(e, XmlError::Malformed { .. })
        });
    }

    #[test]
    fn rejects_deep_nesting() {
        let depth = 10_000;
        let xml = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        assert_err(&xml, |e| {
            matches!(e, XmlError::TooDeep { limit: MAX_DEPTH })
        });
        let unclosed = "<a>".repeat(depth);
        assert_err(&unclosed, |e| matches!(e, XmlError::TooDeep { .. }));
        let empties = format!(
            "{}<a/>{}",
            "<a>".repeat(MAX_DEPTH),
            "</a>".repeat(MAX_DEPTH)
        );
        assert_err(&empties, |e| matches!(e, XmlError::TooDeep { .. }));
        let exact = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(to_map(&exact).is_ok());
    }

    #[test]
    fn rejects_oversized_input() {
        let xml = format!("<xml><a>{}</a></xml>", "x".repeat(5 * 1024 * 1024));
        assert_err(
            &xml,
            |e| matches!(e, XmlError::TooLarge { size, limit: MAX_INPUT } if *size == xml.len()),
        );
        let many = format!("<xml>{}</xml>", "<a>1</a>".repeat(MAX_ELEMENTS));
        assert_err(&many, |e| matches!(e, XmlError::TooManyElements { .. }));
        let fits = format!("<xml>{}</xml>", "<a>1</a>".repeat(MAX_ELEMENTS - 1));
        assert_eq!(
            to_map(&fits).unwrap()["a"].as_array().unwrap().len(),
            MAX_ELEMENTS - 1
        );
    }

    #[test]
    fn rejects_malformed_documents() {
        let cases = [
            "",
            "   ",
            "just text",
            "<xml>",
            "<xml><a>1</a>",
            "<xml><a>1</b></xml>",
            "<xml></xml><xml></xml>",
            "<xml/><a/>",
            "<xml></xml>trailing",
            "leading<xml></xml>",
            "<xml><a>1</a></xml></xml>",
            "</xml>",
            "<xml><a>1</a",
            "<xml><a><![CDATA[x</a></xml>",
            "<xml><!-- x -- y --></xml>",
            "<xml><a b=\"1\" b=\"2\">1</a></xml>",
            "<xml><a b=\"<\">1</a></xml>",
            "<xml><a>]]></a></xml>",
            "<xml><a>\u{1}</a></xml>",
            "<1a>x</1a>",
            "<xml><a/></xml><a/>",
            "<![CDATA[x]]><xml/>",
            "&amp;<xml/>",
        ];
        for xml in cases {
            assert_err(xml, |e| matches!(e, XmlError::Malformed { .. }));
        }
    }

    #[test]
    fn rejects_truncated_documents() {
        let full = to_xml(&obj(json!({
            "return_code": "SUCCESS",
            "detail": { "goods": ["a&b", "c]]>d"] },
            "msg": "你好",
        })))
        .unwrap();
        for (cut, _) in full.char_indices().skip(1) {
            assert!(to_map(&full[..cut]).is_err(), "accepted {:?}", &full[..cut]);
        }
        assert!(to_map(&full).is_ok());
    }

    #[test]
    fn rejects_mixed_content() {
        assert_err("<xml><a>t<b>1</b></a></xml>", |e| {
            matches!(e, XmlError::Unsupported { .. })
        });
        assert_err("<xml>hello</xml>", |e| {
            matches!(e, XmlError::Unsupported { .. })
        });
        assert_err("<xml><a><b>1</b><![CDATA[t]]></a></xml>", |e| {
            matches!(e, XmlError::Unsupported { .. })
        });
    }

    #[test]
    fn never_panics_on_mutated_input() {
        let seed = "<?xml version=\"1.0\"?><xml><a x='1'>&lt;&#20013;<![CDATA[]]>]]></a>\
                    <!-- c --><b><c/></b></xml>";
        let alphabet: Vec<char> = "<>/&;#x!?[]-='\" axml\u{0}中".chars().collect();
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut round_trips = 0;
        for _ in 0..20_000 {
            let mut chars: Vec<char> = seed.chars().collect();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(chars.len() + 1);
                match rng.below(3) {
                    0 if at < chars.len() => {
                        chars.remove(at);
                    }
                    1 if at < chars.len() => chars[at] = alphabet[rng.below(alphabet.len())],
                    _ => chars.insert(at, alphabet[rng.below(alphabet.len())]),
                }
            }
            let xml: String = chars.into_iter().collect();
            if let Ok(map) = to_map(&xml) {
                // Whatever we accept, we write back, and read back the same.
                let written =
                    to_xml(&map).unwrap_or_else(|e| panic!("{xml:?} read but not written: {e}"));
                let back = to_map(&written)
                    .unwrap_or_else(|e| panic!("{written:?} does not read back: {e}"));
                assert_eq!(back, map, "{xml:?} -> {written:?}");
                round_trips += 1;
            }
        }
        // The mutations must leave enough inputs valid for this to mean something.
        assert!(round_trips > 200, "only {round_trips} inputs parsed");
    }

    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn string(&mut self) -> String {
            const PIECES: &[&str] = &[
                "a",
                "Z",
                "0",
                "_",
                ".",
                "-",
                " ",
                "\t",
                "\n",
                "\r",
                "\r\n",
                "<",
                ">",
                "&",
                "'",
                "\"",
                "]]>",
                "]]",
                "]",
                "<![CDATA[",
                "&amp;",
                "&#13;",
                "中",
                "文",
                "😀",
                "\u{A0}",
                "\u{FFFD}",
                "\u{10FFFF}",
                "é",
                "SUCCESS",
            ];
            let len = self.below(12);
            (0..len).map(|_| PIECES[self.below(PIECES.len())]).collect()
        }

        fn name(&mut self) -> String {
            const START: &[char] = &['a', 'B', '_', '中', 'é'];
            const REST: &[char] = &['a', 'Z', '0', '_', '.', '-', '文', '\u{B7}'];
            let mut name = String::new();
            name.push(START[self.below(START.len())]);
            for _ in 0..self.below(6) {
                name.push(REST[self.below(REST.len())]);
            }
            name
        }

        /// Only shapes that survive a round trip: non-empty maps and lists
        /// of at least two items.
        fn map(&mut self, depth: usize) -> Map<String, Value> {
            let mut map = Map::new();
            for _ in 0..1 + self.below(6) {
                let value = match self.below(if depth > 1 { 4 } else { 2 }) {
                    0 | 1 => Value::String(self.string()),
                    2 => Value::Object(self.map(depth - 1)),
                    _ => {
                        let nested = self.below(2) == 0;
                        let items = (0..2 + self.below(3))
                            .map(|_| {
                                if nested {
                                    Value::Object(self.map(depth - 1))
                                } else {
                                    Value::String(self.string())
                                }
                            })
                            .collect();
                        Value::Array(items)
                    }
                };
                map.insert(self.name(), value);
            }
            map
        }
    }

    #[test]
    fn random_maps_round_trip() {
        let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
        for _ in 0..2_000 {
            let map = rng.map(5);
            let xml = to_xml(&map).unwrap();
            assert_eq!(to_map(&xml).unwrap(), map, "through {xml}");
        }
    }
}
