//! Reading a SOAP 1.1 response of HPR v2: a fault, or a `PaginertResultatsett` of `Person`s.
//!
//! The envelope is walked with quick-xml's namespace-aware reader, checking the namespaces of
//! the envelope (`http://schemas.xmlsoap.org/soap/envelope/`) and of the operation's response
//! (`http://schemas.nhn.no/reg/HPRv2`). Each `Person` is cut out as its own fragment and
//! deserialised on its own (quick-xml serde), wrapped in an element that re-declares the
//! namespace bindings in scope (so `i:nil` still resolves). A `Person` that does not
//! deserialise or convert becomes a [`MalformedRecord`] and the page goes on; only XML that is
//! not well-formed, or an envelope of the wrong shape, fails the page.

use std::collections::HashMap;
use std::fmt;

use quick_xml::XmlVersion;
use quick_xml::escape::escape;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;

use super::convert;
use super::soap_dto::{FaultFragment, PersonFragment};
use crate::core::model::HealthPersonnel;
use crate::source::{MalformedRecord, Parsed};
use crate::store::Register;

/// SOAP 1.1 envelope namespace.
pub(crate) const SOAP_ENV_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// HPR v2 service namespace (request and response elements).
pub(crate) const HPR_NS: &str = "http://schemas.nhn.no/reg/HPRv2";

/// A SOAP fault from HPR: the SOAP 1.1 `faultcode`/`faultstring` and, when present, the
/// WSDL's `GenericFault{ErrorCode, Message}` detail (ns `http://register.nhn.no/Common`).
///
/// Texts are scrubbed of anything NIN-shaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapFault {
    /// `faultcode`, e.g. `s:Client` or `s:Server`.
    pub fault_code: Option<String>,
    /// `faultstring`, e.g. `ArgumentException: HPR-nummer ikke funnet`.
    pub fault_string: Option<String>,
    /// `GenericFault.ErrorCode`.
    pub error_code: Option<String>,
    /// `GenericFault.Message`.
    pub message: Option<String>,
}

impl SoapFault {
    /// Whether the fault blames the request (`faultcode` `Client`, SOAP 1.2 `Sender`), so that
    /// sending it again cannot help.
    pub fn is_client_fault(&self) -> bool {
        self.fault_code.as_deref().is_some_and(|code| {
            let local = code.rsplit(':').next().unwrap_or(code);
            local == "Client" || local == "Sender" || local.starts_with("Client.")
        })
    }
}

impl fmt::Display for SoapFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or_dash = |text: &Option<String>| text.clone().unwrap_or_else(|| "-".to_owned());
        write!(
            f,
            "SOAP fault {}: {}",
            or_dash(&self.fault_code),
            or_dash(&self.fault_string)
        )?;
        if self.error_code.is_some() || self.message.is_some() {
            write!(
                f,
                " (GenericFault {}: {})",
                or_dash(&self.error_code),
                or_dash(&self.message)
            )?;
        }
        Ok(())
    }
}

/// Why a response could not be read as a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PageError {
    /// Upstream answered with a SOAP fault.
    Fault(SoapFault),
    /// The XML is not well-formed or not the documented envelope.
    Shape {
        /// Where in the envelope (element path).
        field: String,
        /// What was wrong.
        message: String,
    },
}

/// One page of `HentRegisterEndringer` or `Søk2`.
#[derive(Debug)]
pub(crate) struct SoapPage {
    /// The `Person` elements in order, parsed or malformed (nil ones left out).
    pub(crate) records: Vec<Parsed<HealthPersonnel>>,
    /// `Person` elements on the page, nil ones included.
    pub(crate) items: usize,
    /// `ResultaterPerSide`.
    pub(crate) per_page: Option<u64>,
    /// `ResultaterTotalt`.
    pub(crate) total: Option<u64>,
    /// `Side`.
    pub(crate) side: Option<u64>,
}

/// Reads the response of `operation` (e.g. `HentRegisterEndringer`, `Søk2`).
pub(crate) fn parse_page(xml: &str, operation: &str) -> Result<SoapPage, PageError> {
    let mut walker = Walker::new(xml);
    walker.enter_envelope()?;
    let response = format!("{operation}Response");
    let result = format!("{operation}Result");
    let mut page = SoapPage {
        records: Vec::new(),
        items: 0,
        per_page: None,
        total: None,
        side: None,
    };
    match walker.next_child("Body")? {
        Child::Start { ns, local, start } if local == response => {
            expect_ns(ns.as_deref(), HPR_NS, &response)?;
            walker.push_scope(&start);
            walker.read_response(&result, &mut page)?;
        }
        Child::Empty { ns, local } if local == response => {
            expect_ns(ns.as_deref(), HPR_NS, &response)?;
        }
        Child::Start { ns, local, start } if local == "Fault" => {
            expect_ns(ns.as_deref(), SOAP_ENV_NS, "Fault")?;
            return Err(PageError::Fault(walker.read_fault(&start)?));
        }
        Child::Start { local, .. } | Child::Empty { local, .. } => {
            return Err(shape("Body", format!("expected {response}, found {local}")));
        }
        Child::End => return Err(shape("Body", format!("expected {response}, found nothing"))),
    }
    Ok(page)
}

fn shape(field: &str, message: impl Into<String>) -> PageError {
    PageError::Shape {
        field: field.to_owned(),
        message: message.into(),
    }
}

fn expect_ns(found: Option<&str>, expected: &str, element: &str) -> Result<(), PageError> {
    if found == Some(expected) {
        Ok(())
    } else {
        Err(shape(
            element,
            format!(
                "namespace {} instead of {expected}",
                found.unwrap_or("(none)")
            ),
        ))
    }
}

/// A child element as the walker sees it.
enum Child<'x> {
    Start {
        ns: Option<String>,
        local: String,
        start: BytesStart<'x>,
    },
    Empty {
        ns: Option<String>,
        local: String,
    },
    End,
}

/// A namespace-aware walk over one response, remembering the namespace declarations in scope.
struct Walker<'x> {
    xml: &'x str,
    reader: NsReader<&'x [u8]>,
    /// `xmlns`/`xmlns:p` declarations of the enclosing elements, innermost last.
    scope: Vec<(String, String)>,
    /// Byte offset where the element last returned by `next_child` begins (possibly preceded
    /// by white space).
    child_begin: usize,
}

impl<'x> Walker<'x> {
    fn new(xml: &'x str) -> Self {
        let mut reader = NsReader::from_str(xml);
        reader.config_mut().trim_text(true);
        Self {
            xml,
            reader,
            scope: Vec::new(),
            child_begin: 0,
        }
    }

    fn xml_error(&self, error: &quick_xml::Error) -> PageError {
        shape(
            "(xml)",
            format!("at byte {}: {error}", self.reader.buffer_position()),
        )
    }

    /// The next child element of the current one (`End` when it closes).
    fn next_child(&mut self, parent: &str) -> Result<Child<'x>, PageError> {
        loop {
            self.child_begin = position(self.reader.buffer_position());
            let (resolved, event) = match self.reader.read_resolved_event() {
                Ok((resolved, event)) => (namespace(&resolved), event),
                Err(error) => return Err(self.xml_error(&error)),
            };
            match event {
                Event::Start(start) => {
                    let local = local_name(&start);
                    return Ok(Child::Start {
                        ns: resolved,
                        local,
                        start,
                    });
                }
                Event::Empty(start) => {
                    return Ok(Child::Empty {
                        ns: resolved,
                        local: local_name(&start),
                    });
                }
                Event::End(_) => return Ok(Child::End),
                Event::Eof => return Err(shape(parent, "document ends inside the element")),
                _ => {}
            }
        }
    }

    fn skip(&mut self, start: &BytesStart<'_>) -> Result<(), PageError> {
        self.reader
            .read_to_end(start.name())
            .map(|_| ())
            .map_err(|error| self.xml_error(&error))
    }

    fn text(&mut self, start: &BytesStart<'_>) -> Result<String, PageError> {
        match self.reader.read_text(start.name()) {
            Ok(text) => Ok(text.xml10_content().trim().to_owned()),
            Err(error) => Err(self.xml_error(&error)),
        }
    }

    fn push_scope(&mut self, start: &BytesStart<'_>) {
        for attribute in start.attributes().flatten() {
            let key = attribute.key.as_ref();
            if key == "xmlns" || key.starts_with("xmlns:") {
                let value = attribute
                    .normalized_value(XmlVersion::Implicit1_0)
                    .map_or_else(|_| String::new(), std::borrow::Cow::into_owned);
                self.scope.push((key.to_owned(), value));
            }
        }
    }

    /// Reads up to and into `Body`.
    fn enter_envelope(&mut self) -> Result<(), PageError> {
        match self.next_child("(document)")? {
            Child::Start { ns, local, start } if local == "Envelope" => {
                expect_ns(ns.as_deref(), SOAP_ENV_NS, "Envelope")?;
                self.push_scope(&start);
            }
            _ => return Err(shape("(document)", "not a SOAP envelope")),
        }
        loop {
            match self.next_child("Envelope")? {
                Child::Start { ns, local, start } if local == "Body" => {
                    expect_ns(ns.as_deref(), SOAP_ENV_NS, "Body")?;
                    self.push_scope(&start);
                    return Ok(());
                }
                Child::Start { start, .. } => self.skip(&start)?,
                Child::Empty { .. } => {}
                Child::End => return Err(shape("Envelope", "no Body")),
            }
        }
    }

    fn read_response(&mut self, result: &str, page: &mut SoapPage) -> Result<(), PageError> {
        loop {
            match self.next_child(result)? {
                Child::Start { local, start, .. } if local == result => {
                    self.push_scope(&start);
                    self.read_result(page)?;
                }
                Child::Start { start, .. } => self.skip(&start)?,
                Child::Empty { .. } => {}
                Child::End => return Ok(()),
            }
        }
    }

    fn read_result(&mut self, page: &mut SoapPage) -> Result<(), PageError> {
        loop {
            match self.next_child("PaginertResultatsett")? {
                Child::Start { local, start, .. } => match local.as_str() {
                    "Personer" => {
                        self.push_scope(&start);
                        self.read_persons(page)?;
                    }
                    "ResultaterPerSide" => page.per_page = Some(self.number(&start, &local)?),
                    "ResultaterTotalt" => page.total = Some(self.number(&start, &local)?),
                    "Side" => page.side = Some(self.number(&start, &local)?),
                    _ => self.skip(&start)?,
                },
                Child::Empty { .. } => {}
                Child::End => return Ok(()),
            }
        }
    }

    fn number(&mut self, start: &BytesStart<'_>, field: &str) -> Result<u64, PageError> {
        let text = self.text(start)?;
        text.parse()
            .map_err(|_| shape(field, format!("not a count: {text:?}")))
    }

    fn read_persons(&mut self, page: &mut SoapPage) -> Result<(), PageError> {
        loop {
            match self.next_child("Personer")? {
                Child::Start { local, start, .. } if local == "Person" => {
                    let before = self.child_begin;
                    self.skip(&start)?;
                    let after = position(self.reader.buffer_position());
                    page.items += 1;
                    let fragment = self.xml.get(before..after).unwrap_or_default().trim();
                    if let Some(parsed) = person(fragment, &self.wrap(fragment)) {
                        page.records.push(parsed);
                    }
                }
                Child::Empty { local, .. } if local == "Person" => page.items += 1,
                Child::Start { start, .. } => self.skip(&start)?,
                Child::Empty { .. } => {}
                Child::End => return Ok(()),
            }
        }
    }

    fn read_fault(&mut self, start: &BytesStart<'_>) -> Result<SoapFault, PageError> {
        let fault_start = self.child_begin;
        self.skip(start)?;
        let after = position(self.reader.buffer_position());
        let fragment = self.xml.get(fault_start..after).unwrap_or_default();
        let wrapped = self.wrap(fragment);
        let dto = quick_xml::de::from_str::<FaultFragment>(&wrapped)
            .map_err(|error| shape("Fault", error.to_string()))?
            .fault
            .unwrap_or_default();
        let scrub = |text: Option<String>| {
            convert::text(text.as_deref()).map(|text| crate::source::error::scrub_nins(&text))
        };
        let generic = dto
            .detail
            .and_then(|detail| detail.generic_fault)
            .unwrap_or_default();
        Ok(SoapFault {
            fault_code: scrub(dto.faultcode),
            fault_string: scrub(dto.faultstring),
            error_code: scrub(generic.error_code),
            message: scrub(generic.message),
        })
    }

    /// `fragment` inside an element that re-declares the namespace bindings in scope.
    fn wrap(&self, fragment: &str) -> String {
        let mut declared: HashMap<&str, &str> = HashMap::new();
        for (key, value) in &self.scope {
            declared.insert(key, value);
        }
        let mut wrapped = String::with_capacity(fragment.len() + 256);
        wrapped.push_str("<fragment");
        for (key, value) in declared {
            wrapped.push(' ');
            wrapped.push_str(key);
            wrapped.push_str("=\"");
            wrapped.push_str(&escape(value));
            wrapped.push('"');
        }
        wrapped.push('>');
        wrapped.push_str(fragment);
        wrapped.push_str("</fragment>");
        wrapped
    }
}

fn position(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

fn local_name(start: &BytesStart<'_>) -> String {
    start.local_name().into_inner().to_owned()
}

fn namespace(resolved: &ResolveResult<'_>) -> Option<String> {
    match resolved {
        ResolveResult::Bound(Namespace(ns)) => Some((*ns).to_owned()),
        _ => None,
    }
}

/// One `Person` fragment → a record, a malformed record, or `None` for a nil `Person`.
fn person(fragment: &str, wrapped: &str) -> Option<Parsed<HealthPersonnel>> {
    let mut deserializer = quick_xml::de::Deserializer::from_str(wrapped);
    let dto = match serde_path_to_error::deserialize::<_, PersonFragment>(&mut deserializer) {
        Ok(PersonFragment { person }) => person?,
        Err(error) => {
            let path = error.path().to_string();
            let field = path.strip_prefix("Person.").unwrap_or(&path).to_owned();
            return Some(Parsed::Malformed(MalformedRecord::new(
                Register::Hpr,
                peek_hpr_number(fragment),
                Some(field),
                &error.inner().to_string(),
                fragment.as_bytes().to_vec(),
            )));
        }
    };
    Some(match convert::soap::health_personnel(&dto) {
        Ok(record) => Parsed::Record(record),
        Err(error) => Parsed::Malformed(MalformedRecord::new(
            Register::Hpr,
            convert::soap::hpr_of(&dto),
            Some(error.field),
            &error.message,
            fragment.as_bytes().to_vec(),
        )),
    })
}

/// The text of the `HPRNummer` child of a `Person` fragment that did not deserialise.
fn peek_hpr_number(fragment: &str) -> Option<String> {
    let mut reader = NsReader::from_str(fragment);
    reader.config_mut().trim_text(true);
    let mut depth = 0usize;
    loop {
        match reader.read_event().ok()? {
            Event::Start(start) => {
                depth += 1;
                if depth == 2 && start.local_name().into_inner() == "HPRNummer" {
                    let text = reader.read_text(start.name()).ok()?;
                    return convert::text(Some(&text.xml10_content()));
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => return None,
            _ => {}
        }
    }
}
