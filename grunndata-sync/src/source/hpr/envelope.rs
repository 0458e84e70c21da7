//! SOAP 1.1 request envelopes for HPR v2, written with quick-xml's writer (all text escaped).
//!
//! Body elements are in the service namespace `http://schemas.nhn.no/reg/HPRv2`; the children
//! of a `Periode` are in `http://schemas.nhn.no/reg/Common/no` (the WSDL's Common schema is
//! `elementFormDefault="qualified"`). WCF's DataContractSerializer reads members in schema
//! order and skips the rest, so elements are written in the WSDL's sequence order.

use std::io;

use chrono::{DateTime, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::soap_page::{HPR_NS, SOAP_ENV_NS};
use super::time::format_instant;

/// Namespace of `Kode`, `Periode` and the other Common types.
pub(crate) const COMMON_NS: &str = "http://schemas.nhn.no/reg/Common/no";

/// `HentRegisterEndringer(fra, til, side, resultaterPerSide)`.
pub(crate) fn hent_register_endringer(
    fra: DateTime<Utc>,
    til: DateTime<Utc>,
    side: u32,
    per_page: u32,
) -> io::Result<Vec<u8>> {
    envelope(|writer| {
        writer
            .create_element("HentRegisterEndringer")
            .with_attribute(("xmlns", HPR_NS))
            .write_inner_content(|writer| {
                text_element(writer, "fra", &format_instant(fra))?;
                text_element(writer, "til", &format_instant(til))?;
                text_element(writer, "side", &side.to_string())?;
                text_element(writer, "resultaterPerSide", &per_page.to_string())
            })?;
        Ok(())
    })
}

/// `Søk2(search)` listing every person changed since `since`, one page at a time, with full
/// records (`KunBasisData` false).
///
/// Decision (the WSDL does not say which criteria Søk2 requires): the listing filters on
/// `SistEndretPeriode{Fra: since}` with no end, an explicit "everything changed since"
/// criterion, rather than sending no criterion at all.
pub(crate) fn sok2(since: DateTime<Utc>, side: u32, per_page: u32) -> io::Result<Vec<u8>> {
    envelope(|writer| {
        writer
            .create_element("Søk2")
            .with_attribute(("xmlns", HPR_NS))
            .write_inner_content(|writer| {
                writer
                    .create_element("search")
                    .write_inner_content(|writer| {
                        // Schema order: … KunBasisData … ResultaterPerSide, Side, SistEndretPeriode …
                        text_element(writer, "KunBasisData", "false")?;
                        text_element(writer, "ResultaterPerSide", &per_page.to_string())?;
                        text_element(writer, "Side", &side.to_string())?;
                        writer
                            .create_element("SistEndretPeriode")
                            .with_attribute(("xmlns:c", COMMON_NS))
                            .write_inner_content(|writer| {
                                text_element(writer, "c:Fra", &format_instant(since))
                            })?;
                        Ok(())
                    })?;
                Ok(())
            })?;
        Ok(())
    })
}

/// `<s:Envelope><s:Body>…</s:Body></s:Envelope>` around what `body` writes.
fn envelope(body: impl FnOnce(&mut Writer<Vec<u8>>) -> io::Result<()>) -> io::Result<Vec<u8>> {
    let mut writer = Writer::new(Vec::with_capacity(512));
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    writer
        .create_element("s:Envelope")
        .with_attribute(("xmlns:s", SOAP_ENV_NS))
        .write_inner_content(|writer| {
            writer.create_element("s:Body").write_inner_content(body)?;
            Ok(())
        })?;
    Ok(writer.into_inner())
}

fn text_element(writer: &mut Writer<Vec<u8>>, name: &str, text: &str) -> io::Result<()> {
    writer
        .create_element(name)
        .write_text_content(BytesText::new(text))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).map_or_else(
            |error| panic!("{text}: {error}"),
            |dt| dt.with_timezone(&Utc),
        )
    }

    #[test]
    fn hent_register_endringer_matches_the_wsdl() {
        let body = hent_register_endringer(
            at("2025-01-01T00:00:00Z"),
            at("2025-01-02T00:00:00Z"),
            1,
            1000,
        )
        .map(String::from_utf8);
        let Ok(Ok(body)) = body else {
            panic!("envelope builds");
        };
        assert_eq!(
            body,
            concat!(
                r#"<?xml version="1.0" encoding="utf-8"?>"#,
                r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>"#,
                r#"<HentRegisterEndringer xmlns="http://schemas.nhn.no/reg/HPRv2">"#,
                "<fra>2025-01-01T00:00:00.000Z</fra><til>2025-01-02T00:00:00.000Z</til>",
                "<side>1</side><resultaterPerSide>1000</resultaterPerSide>",
                "</HentRegisterEndringer></s:Body></s:Envelope>"
            )
        );
    }

    #[test]
    fn sok2_lists_full_records_in_schema_order() {
        let Ok(Ok(body)) = sok2(at("1900-01-01T00:00:00Z"), 3, 500).map(String::from_utf8) else {
            panic!("envelope builds");
        };
        assert!(body.contains(concat!(
            r#"<Søk2 xmlns="http://schemas.nhn.no/reg/HPRv2"><search>"#,
            "<KunBasisData>false</KunBasisData><ResultaterPerSide>500</ResultaterPerSide>",
            "<Side>3</Side>",
            r#"<SistEndretPeriode xmlns:c="http://schemas.nhn.no/reg/Common/no">"#,
            "<c:Fra>1900-01-01T00:00:00.000Z</c:Fra></SistEndretPeriode></search></Søk2>"
        )));
    }
}
