//! 9044 Type elektronisk adresse (AR legacy `ElectronicAddress.TypeCodeValue`).
//!
//! From a client enum labelled "From NHN Code service, code 9044" (ks-no/fiks-nhn-client);
//! `E_EDI`, `E_DS` and `E_CEN` confirmed in NHN test responses. Completeness is unverified.
//! The list also holds address-component codes without the `E_` prefix; both are included.

use super::Concept;

/// The known entries of 9044.
pub const TABLE: &[Concept] = &[
    Concept::new("E_FHIR", "FHIR-Endepunkt"),
    Concept::new("E_EDI", "EDI (Standardisert elektronisk melding)"),
    Concept::new("E_EDI_WS", "EDI Webservice"),
    Concept::new("E_AMT", "EDI Amtrix"),
    Concept::new("E_BIZ", "EDI BizTalk"),
    Concept::new("E_NSM", "NHN SMTP"),
    Concept::new("E_EDI_HTTP_SYNC", "EDI-meldinger over synkron HTTP"),
    Concept::new("E_EDI_HTTP_ASYNC", "EDI-meldinger over asynkron HTTP"),
    Concept::new("E_SB_ASYNC", "Asynkron AMQP kø"),
    Concept::new("E_SB_ERROR", "Feilmelding AMQP kø"),
    Concept::new("E_SB_SYNC", "Synkron AMQP kø"),
    Concept::new("E_SB_SYNCREPLY", "Synkron Svar AMQP kø"),
    Concept::new("E_DS", "Digital sertifikat"),
    Concept::new("E_KS", "Krypteringssertifikat"),
    Concept::new("E_SS", "Signeringssertifikat"),
    Concept::new("E_TLF", "Telefonnummer"),
    Concept::new("E_CEN", "Sentralbordnummer"),
    Concept::new("E_DIR", "Direktenummer"),
    Concept::new("E_ICE", "Samhandlingsnummer ICE"),
    Concept::new("E_MOB", "Mobiltelefonnummer"),
    Concept::new("E_SEN", "Telefonnumer sentralbord"),
    Concept::new("E_EPO", "Epost-adresse"),
    Concept::new("E_FAX", "Faxnummer"),
    Concept::new("E_URL", "Hjemmeside"),
    Concept::new("E_LOK", "Lokal Elektronisk Adresse"),
    Concept::new("E_MLD", "Meldingsinformasjon"),
    Concept::new("E_PTL", "Adresselenke for innsynsrett"),
    Concept::new("E_BRV", "Brev eller annen utskrift på et fysisk medium"),
    Concept::new("E_DIV", "Annet"),
    Concept::new("ADL", "Bolignummer"),
    Concept::new("BUI", "Bygning nummer"),
    Concept::new("HNR", "Gatenummer"),
    Concept::new("STR", "Gatenavn"),
    Concept::new("POB", "Postboksnummer"),
    Concept::new("ZIP", "Postnummer"),
    Concept::new("POO", "Postkontor"),
    Concept::new("POP", "Poststed"),
    Concept::new("GPS", "GPS-koordinater"),
    Concept::new("CNT", "Nasjon"),
    Concept::new("DSC", "Beskrivelse"),
];
