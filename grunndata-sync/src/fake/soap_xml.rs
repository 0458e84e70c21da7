//! XML for the HPR SOAP service: reading a request into (path, text) pairs, and writing
//! envelopes, faults and HPRv2 `Person` elements with a real XML writer (all text escaped).
//!
//! Element names and order are those of hpr/helsepersonellregisteret.wsdl (WCF data contracts:
//! alphabetical). Children of `Kode` and `Periode` are in the Common namespace (prefix `a`).

use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use serde_json::Value;

/// SOAP 1.1 envelope namespace.
pub(crate) const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// HPR v2 namespace.
pub(crate) const HPR_NS: &str = "http://schemas.nhn.no/reg/HPRv2";
/// Common types (`Kode`, `Periode`).
pub(crate) const COMMON_NS: &str = "http://schemas.nhn.no/reg/Common/no";
/// `GenericFault`.
pub(crate) const FAULT_NS: &str = "http://register.nhn.no/Common";
/// XML Schema instance (`i:nil`).
pub(crate) const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The request: the operation (first element in the Body) and every text value by its path of
/// local names below the operation, e.g. `search/SistEndretPeriode/Fra`.
#[derive(Debug, Default)]
pub(crate) struct SoapRequest {
    pub(crate) operation: String,
    pub(crate) values: Vec<(String, String)>,
}

impl SoapRequest {
    /// The text at `path`, if present and not empty.
    pub(crate) fn get(&self, path: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// Parses a SOAP 1.1 request; `None` when it is not well-formed or has no operation in its Body.
pub(crate) fn parse(body: &str) -> Option<SoapRequest> {
    let mut reader = Reader::from_str(body);
    // Local names from the root: Envelope, Body, the operation, its parameters...
    let mut stack: Vec<String> = Vec::new();
    let mut request = SoapRequest::default();
    let mut text = String::new();
    let in_body = |stack: &[String]| stack.get(1).is_some_and(|s| s == "Body");
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                stack.push(e.local_name().as_ref().to_owned());
                text.clear();
                if stack.len() == 3 && in_body(&stack) && request.operation.is_empty() {
                    request.operation.clone_from(&stack[2]);
                }
            }
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_owned();
                if stack.len() == 2 && in_body(&stack) && request.operation.is_empty() {
                    request.operation = name;
                }
            }
            Event::Text(e) => text.push_str(&e.xml10_content()),
            Event::CData(e) => text.push_str(&e.into_inner()),
            Event::GeneralRef(e) => {
                let name = e.into_inner();
                if let Some(resolved) = quick_xml::escape::resolve_predefined_entity(&name) {
                    text.push_str(resolved);
                } else if let Some(code) = name.strip_prefix('#') {
                    let value = match code.strip_prefix('x') {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => code.parse().ok(),
                    };
                    text.extend(value.and_then(char::from_u32));
                }
            }
            Event::End(_) => {
                if stack.len() > 3 && in_body(&stack) {
                    request
                        .values
                        .push((stack[3..].join("/"), std::mem::take(&mut text)));
                }
                text.clear();
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (!request.operation.is_empty()).then_some(request)
}

/// A small wrapper over the XML writer for the shapes we need.
pub(crate) struct Xml {
    writer: Writer<Vec<u8>>,
}

type XmlResult = std::io::Result<()>;

impl Xml {
    pub(crate) fn new() -> Self {
        Self {
            writer: Writer::new(Vec::with_capacity(16 * 1024)),
        }
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.writer.into_inner()
    }

    pub(crate) fn open(&mut self, name: &str, attributes: &[(&str, &str)]) -> XmlResult {
        let start = BytesStart::new(name).with_attributes(attributes.iter().copied());
        self.writer.write_event(Event::Start(start))
    }

    pub(crate) fn close(&mut self, name: &str) -> XmlResult {
        self.writer.write_event(Event::End(BytesEnd::new(name)))
    }

    /// `<name>text</name>`, the text escaped.
    pub(crate) fn leaf(&mut self, name: &str, text: &str) -> XmlResult {
        self.open(name, &[])?;
        self.writer.write_event(Event::Text(BytesText::new(text)))?;
        self.close(name)
    }

    /// `<name i:nil="true"/>`.
    pub(crate) fn nil(&mut self, name: &str) -> XmlResult {
        self.writer.write_event(Event::Empty(
            BytesStart::new(name).with_attributes([("i:nil", "true")]),
        ))
    }

    /// A leaf, or nil when absent.
    pub(crate) fn maybe(&mut self, name: &str, text: Option<&str>) -> XmlResult {
        match text {
            Some(text) => self.leaf(name, text),
            None => self.nil(name),
        }
    }
}

/// Opens the envelope and the response element `{operation}Response` in the HPRv2 namespace.
pub(crate) fn begin_response(xml: &mut Xml, operation: &str) -> XmlResult {
    xml.open("s:Envelope", &[("xmlns:s", SOAP_NS)])?;
    xml.open("s:Body", &[])?;
    xml.open(
        &format!("{operation}Response"),
        &[
            ("xmlns", HPR_NS),
            ("xmlns:a", COMMON_NS),
            ("xmlns:i", XSI_NS),
        ],
    )
}

/// Closes what [`begin_response`] opened.
pub(crate) fn end_response(xml: &mut Xml, operation: &str) -> XmlResult {
    xml.close(&format!("{operation}Response"))?;
    xml.close("s:Body")?;
    xml.close("s:Envelope")
}

/// A SOAP 1.1 fault carrying HPR's `GenericFault{ErrorCode, Message}` detail.
pub(crate) fn fault(code: &str, error_code: &str, message: &str) -> std::io::Result<Vec<u8>> {
    let mut xml = Xml::new();
    xml.open("s:Envelope", &[("xmlns:s", SOAP_NS)])?;
    xml.open("s:Body", &[])?;
    xml.open("s:Fault", &[])?;
    xml.leaf("faultcode", code)?;
    xml.leaf("faultstring", &format!("{error_code}: {message}"))?;
    xml.open("detail", &[])?;
    xml.open("GenericFault", &[("xmlns", FAULT_NS), ("xmlns:i", XSI_NS)])?;
    xml.leaf("ErrorCode", error_code)?;
    xml.leaf("Message", message)?;
    xml.close("GenericFault")?;
    xml.close("detail")?;
    xml.close("s:Fault")?;
    xml.close("s:Body")?;
    xml.close("s:Envelope")?;
    Ok(xml.into_bytes())
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// A date (`YYYY-MM-DD`) or date-time as xs:dateTime.
fn date_time(text: &str) -> String {
    if text.len() == 10 {
        format!("{text}T00:00:00")
    } else {
        text.to_owned()
    }
}

fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A REST `Kode{navn, verdi, kodeverk{id, navn}}` as a SOAP `Kode`, or nil.
fn kode(xml: &mut Xml, name: &str, kode: Option<&Value>) -> XmlResult {
    let Some(kode) = kode.filter(|k| k.is_object()) else {
        return xml.nil(name);
    };
    xml.open(name, &[])?;
    xml.leaf("a:Aktiv", "true")?;
    xml.maybe("a:Beskrivelse", text(kode, "navn"))?;
    xml.maybe(
        "a:Kodegruppenavn",
        kode.pointer("/kodeverk/navn").and_then(Value::as_str),
    )?;
    xml.leaf(
        "a:OID",
        &kode
            .pointer("/kodeverk/id")
            .and_then(Value::as_u64)
            .unwrap_or(0)
            .to_string(),
    )?;
    xml.maybe("a:Verdi", text(kode, "verdi"))?;
    xml.close(name)
}

fn periode(xml: &mut Xml, name: &str, periode: Option<&Value>) -> XmlResult {
    let Some(periode) = periode.filter(|p| p.is_object()) else {
        return xml.nil(name);
    };
    xml.open(name, &[])?;
    xml.leaf(
        "a:Fra",
        &date_time(text(periode, "fra").unwrap_or("0001-01-01")),
    )?;
    match text(periode, "til") {
        Some(til) => xml.leaf("a:Til", &date_time(til))?,
        None => xml.nil("a:Til")?,
    }
    xml.close(name)
}

/// Synthetic ids and ETags for nested elements (REST has neither).
struct Ids {
    base: u64,
    next: u64,
}

impl Ids {
    fn id(&mut self) -> String {
        self.next += 1;
        (self.base * 100 + self.next).to_string()
    }

    fn etag(&self) -> String {
        format!("\"{:x}\"", self.base * 7919 + self.next)
    }
}

fn reactions(xml: &mut Xml, items: &[Value], ids: &mut Ids) -> XmlResult {
    xml.open("AdministrativeReaksjoner", &[])?;
    for item in items {
        xml.open("AdministrativReaksjon", &[])?;
        xml.leaf("ETag", &ids.etag())?;
        xml.leaf("Id", &ids.id())?;
        periode(xml, "Periode", item.get("periode"))?;
        kode(xml, "Type", item.get("type"))?;
        xml.close("AdministrativReaksjon")?;
    }
    xml.close("AdministrativeReaksjoner")
}

fn suspensions(xml: &mut Xml, items: &[Value], ids: &mut Ids) -> XmlResult {
    xml.open("Suspensjonsperioder", &[])?;
    for item in items.iter().filter(|r| {
        r.pointer("/type/navn").and_then(Value::as_str) == Some(crate::synth::SUSPENSION)
    }) {
        xml.open("Suspensjonsperiode", &[])?;
        xml.leaf("ETag", &ids.etag())?;
        xml.leaf("Id", &ids.id())?;
        periode(xml, "Periode", item.get("periode"))?;
        xml.close("Suspensjonsperiode")?;
    }
    xml.close("Suspensjonsperioder")
}

/// A REST right (rekvisisjonsrett / spesialistgodkjenning) as a SOAP element.
fn right(xml: &mut Xml, element: &str, item: &Value, ids: &mut Ids, converted: bool) -> XmlResult {
    let reactions_list = array(item, "administrativeReaksjoner");
    xml.open(element, &[])?;
    reactions(xml, reactions_list, ids)?;
    kode(xml, "AvsluttetStatus", item.get("avsluttetStatus"))?;
    xml.leaf("ETag", &ids.etag())?;
    periode(xml, "Gyldig", item.get("periode"))?;
    xml.leaf("Id", &ids.id())?;
    if converted {
        xml.nil("KonvertertFraLand")?;
    }
    suspensions(xml, reactions_list, ids)?;
    kode(xml, "Type", item.get("type"))?;
    xml.close(element)
}

fn godkjenning(xml: &mut Xml, item: &Value, ids: &mut Ids) -> XmlResult {
    let reactions_list = array(item, "administrativeReaksjoner");
    xml.open("Godkjenning", &[])?;
    reactions(xml, reactions_list, ids)?;
    kode(xml, "Autorisasjon", item.get("autorisasjon"))?;
    kode(xml, "AvsluttetStatus", item.get("avsluttetStatus"))?;
    xml.leaf("ETag", &ids.etag())?;
    xml.maybe(
        "GodkjentTurnus",
        text(item, "godkjentTurnusDato").map(date_time).as_deref(),
    )?;
    periode(xml, "Gyldig", item.get("periode"))?;
    kode(
        xml,
        "Helsepersonellkategori",
        item.get("helsepersonellkategori"),
    )?;
    xml.leaf("Id", &ids.id())?;
    xml.nil("KonvertertFraLand")?;
    xml.open("Rekvisisjonsretter", &[])?;
    for r in array(item, "rekvisisjonsretter") {
        right(xml, "Rekvisisjonsrett", r, ids, false)?;
    }
    xml.close("Rekvisisjonsretter")?;
    xml.open("Spesialiteter", &[])?;
    for s in array(item, "spesialistgodkjenninger") {
        right(xml, "Spesialitet", s, ids, true)?;
    }
    xml.close("Spesialiteter")?;
    suspensions(xml, reactions_list, ids)?;
    xml.open("Tilleggskompetanser", &[])?;
    for t in array(item, "tilleggskompetanser") {
        xml.open("Tilleggskompetanse", &[])?;
        kode(xml, "AvsluttetStatus", t.get("avsluttetStatus"))?;
        xml.leaf("ETag", &ids.etag())?;
        periode(xml, "Gyldig", t.get("periode"))?;
        xml.leaf("Id", &ids.id())?;
        kode(xml, "Type", t.get("type"))?;
        xml.close("Tilleggskompetanse")?;
    }
    xml.close("Tilleggskompetanser")?;
    xml.nil("Utdannelser")?;
    xml.open("Vilkår", &[])?;
    for v in array(item, "vilkår") {
        xml.open("Vilkår", &[])?;
        xml.leaf("ETag", &ids.etag())?;
        xml.nil("Fritekst")?;
        xml.leaf("Id", &ids.id())?;
        kode(xml, "Type", v.get("type"))?;
        xml.close("Vilkår")?;
    }
    xml.close("Vilkår")?;
    xml.close("Godkjenning")
}

/// Kjønn (kodeverk 3101) from the ninth digit of a person number, where it encodes gender.
fn gender(xml: &mut Xml, nin: Option<&str>) -> XmlResult {
    let digit = nin
        .filter(|n| n.len() == 11)
        .and_then(|n| n.as_bytes().get(8))
        .map(|b| b.wrapping_sub(b'0'));
    let Some(digit) = digit.filter(|d| *d <= 9) else {
        return xml.nil("Kjønn");
    };
    let (value, label) = if digit % 2 == 1 {
        ("1", "Mann")
    } else {
        ("2", "Kvinne")
    };
    xml.open("Kjønn", &[])?;
    xml.leaf("a:Aktiv", "true")?;
    xml.leaf("a:Beskrivelse", label)?;
    xml.leaf("a:Kodegruppenavn", "Kjønn")?;
    xml.leaf("a:OID", "3101")?;
    xml.leaf("a:Verdi", value)?;
    xml.close("Kjønn")
}

/// Writes a REST `HelsepersonUtvidet` as an HPRv2 `Person`-typed element named `element`.
/// With `basic`, the approvals are left out (`Søk2` with `KunBasisData`).
pub(crate) fn person(xml: &mut Xml, record: &Value, basic: bool, element: &str) -> XmlResult {
    let number = record.get("hprNummer").and_then(Value::as_u64);
    let personalia = record.get("person").cloned().unwrap_or(Value::Null);
    let mut ids = Ids {
        base: number.unwrap_or(0),
        next: 0,
    };
    xml.open(element, &[])?;
    reactions(xml, array(record, "administrativeReaksjoner"), &mut ids)?;
    xml.nil("AlternativeIder")?;
    xml.maybe(
        "Dødsdato",
        text(&personalia, "dødsdato").map(date_time).as_deref(),
    )?;
    xml.leaf(
        "ETag",
        &format!("\"{}\"", text(record, "sistOppdatert").unwrap_or_default()),
    )?;
    xml.maybe(
        "ErstattetAvHprNummer",
        record
            .get("erstattetAvHprNummer")
            .and_then(Value::as_u64)
            .map(|n| n.to_string())
            .as_deref(),
    )?;
    xml.maybe("Etternavn", text(&personalia, "etternavn"))?;
    xml.maybe("Fornavn", text(&personalia, "fornavn"))?;
    xml.nil("FysiskeAdresser")?;
    xml.maybe(
        "Fødselsdato",
        text(&personalia, "fødselsdato").map(date_time).as_deref(),
    )?;
    if basic {
        xml.nil("Godkjenninger")?;
    } else {
        xml.open("Godkjenninger", &[])?;
        for item in array(record, "godkjenninger") {
            godkjenning(xml, item, &mut ids)?;
        }
        xml.close("Godkjenninger")?;
    }
    // A record broken by the `malformed_record` fault has no number: leave the element out.
    if let Some(number) = number {
        xml.leaf("HPRNummer", &number.to_string())?;
    }
    gender(xml, text(&personalia, "nin"))?;
    let missing = personalia
        .get("manglerNin")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    xml.leaf("ManglerNIN", if missing { "true" } else { "false" })?;
    xml.maybe("Mellomnavn", text(&personalia, "mellomnavn"))?;
    xml.maybe("NIN", text(&personalia, "nin"))?;
    xml.leaf(
        "SistOppdatert",
        text(record, "sistOppdatert").unwrap_or("0001-01-01T00:00:00"),
    )?;
    xml.nil("Statsborgerskap")?;
    xml.nil("Utdannelser")?;
    xml.close(element)
}
