//! The letters of the GDPR breach workflow. Pure functions, no I/O.
//!
//! - [`processor_notice`]: Termino (processor) tells an affected business
//!   (controller) about a breach, with everything Art. 33(3) GDPR asks for and
//!   the controller's own 72-hour deadline (Art. 33(2)).
//! - [`uodo_draft`]: a pre-filled draft of the business's notification to the
//!   President of UODO, structured like UODO's breach form, with
//!   "[to complete: ...]" / "[do uzupełnienia: ...]" marks for what only the
//!   business knows.
//! - [`client_notice`]: the plain-language notice from the business to its
//!   clients (Art. 34(2)).
//! - [`closing_report`]: the closing record of an incident (Art. 33(5)).
//!
//! Bodies are plain text, wrapped at [`WIDTH`] characters where the text
//! allows it. Every moment is shown in UTC and on the Warsaw wall clock
//! (see [`termino_domain::breach::both_zones`]). The facts come from the
//! domain ([`IncidentFacts`]); only the wording lives here.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Warsaw;

use termino_domain::breach::{
    AffectedBusiness, IncidentFacts, both_zones, clock_text, individuals_exempt, notify_by,
};
use termino_domain::business::Language;

/// Lines of the drafted texts are wrapped at this many characters.
const WIDTH: usize = 96;

/// A drafted e-mail or document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub subject: String,
    pub body: String,
}

/// Processor -> controller notice (Art. 33(2)), with everything Art. 33(3)
/// asks: nature incl. categories and approximate numbers of data subjects and
/// records, contact point, likely consequences, measures taken or proposed;
/// also the window, systems, encryption/key status, awareness time and the
/// controller's own 72-hour deadline, and a line that further information may
/// follow in phases (Art. 33(4)).
pub fn processor_notice(lang: Language, f: &IncidentFacts, b: &AffectedBusiness) -> Draft {
    match lang {
        Language::En => processor_notice_en(f, b),
        Language::Pl => processor_notice_pl(f, b),
    }
}

/// The business's (controller's) draft notification to the President of UODO,
/// pre-filled and structured by the sections of UODO's breach form. Places
/// the business must complete are marked "[to complete: ...]" /
/// "[do uzupełnienia: ...]".
pub fn uodo_draft(lang: Language, f: &IncidentFacts, b: &AffectedBusiness) -> Draft {
    match lang {
        Language::En => uodo_draft_en(f, b),
        Language::Pl => uodo_draft_pl(f, b),
    }
}

/// Plain-language notice from the business to its clients (Art. 34(2)): what
/// happened, what data, likely consequences, what was done, what they can do,
/// contact. Signed with the business name.
pub fn client_notice(lang: Language, f: &IncidentFacts, business_name: &str) -> Draft {
    match lang {
        Language::En => client_notice_en(f, business_name),
        Language::Pl => client_notice_pl(f, business_name),
    }
}

/// Closing report of an incident (Art. 33(5) documentation), in English:
/// facts, effects, remedial action, the notified businesses with counts and
/// delivery times, the operator's decision on notifying the authority, and
/// when the incident was closed.
pub fn closing_report(
    f: &IncidentFacts,
    notified: &[(AffectedBusiness, Option<DateTime<Utc>>)],
    decision: &str,
    closed_at: DateTime<Utc>,
) -> String {
    let mut d = Doc::default();
    d.line(&format!("INCIDENT CLOSING REPORT: {}", f.reference));
    d.para(
        "Documentation of a personal data breach under Art. 33(5) GDPR. \
         Termino acted as processor for the businesses listed in section 4.",
    );

    d.heading("SUMMARY");
    d.field("Reference:", f.reference);
    d.field("Termino became aware:", &both_zones(f.aware_at));
    d.field(
        "Controllers' 72-hour deadline:",
        &both_zones(notify_by(f.aware_at)),
    );
    d.field("Closed:", &both_zones(closed_at));
    d.field("Open for:", &hours_minutes(closed_at - f.aware_at));

    d.heading("1. FACTS OF THE BREACH");
    d.line("Time window of the breach:");
    d.line(&format!("  from {}", both_zones(f.window_start)));
    d.line(&format!("  to   {}", both_zones(f.window_end)));
    d.field("Nature of the breach:", or(f.nature, NOT_RECORDED));
    d.field(
        "Systems involved:",
        &joined(f.systems).unwrap_or_else(|| NOT_RECORDED.into()),
    );
    d.field(
        "Categories of personal data:",
        &joined(f.categories).unwrap_or_else(|| NOT_RECORDED.into()),
    );
    d.field("Encryption:", encryption_status(Language::En, f));
    let subjects = notified
        .iter()
        .fold(0u64, |sum, (b, _)| sum.saturating_add(b.data_subjects));
    let records = notified
        .iter()
        .fold(0u64, |sum, (b, _)| sum.saturating_add(b.records));
    d.field("Businesses affected:", &notified.len().to_string());
    d.field("Data subjects affected:", &about(Language::En, subjects));
    d.field(
        "Personal data records affected:",
        &about(Language::En, records),
    );

    d.heading("2. EFFECTS");
    d.para(or(f.consequences, NOT_RECORDED));

    d.heading("3. REMEDIAL ACTION");
    d.para(or(f.measures, NOT_RECORDED));

    d.heading("4. NOTIFIED BUSINESSES (CONTROLLERS)");
    let delivered = notified.iter().filter(|(_, at)| at.is_some()).count();
    d.line(&format!(
        "{} affected, {} delivered.",
        plural(notified.len(), "business", "businesses"),
        plural(delivered, "notice", "notices"),
    ));
    if notified.is_empty() {
        d.line("No business was affected.");
    }
    for (i, (b, at)) in notified.iter().enumerate() {
        d.blank();
        let tax = b.tax_id.map(|t| format!(" (NIP {t})")).unwrap_or_default();
        d.line(&format!("{}. {}{tax}", i + 1, b.name));
        d.line(&format!(
            "   {} data subjects, {} records",
            about(Language::En, b.data_subjects),
            about(Language::En, b.records)
        ));
        match at {
            Some(at) => {
                d.line(&format!("   notice delivered: {}", both_zones(*at)));
                d.line(&format!(
                    "   72-hour clock at delivery: {}",
                    clock_text(f.aware_at, *at)
                ));
            }
            None => d.line("   notice NOT delivered"),
        }
    }

    d.heading("5. NOTIFICATION OF THE SUPERVISORY AUTHORITY");
    d.field(
        "Whether notification of the authority was due, and why (operator's decision):",
        or(decision, NOT_RECORDED),
    );
    d.blank();
    let exempt = if individuals_exempt(f) {
        "applies (data encrypted, no key exposed)"
    } else {
        "does not apply"
    };
    d.field(
        "Art. 34(3)(a) GDPR exemption for notifying individuals:",
        exempt,
    );

    d.heading("6. CONTACT POINT");
    d.para(or(f.contact, NOT_RECORDED));
    d.finish()
}

// ---------------------------------------------------------------------------
// Processor notice

fn processor_notice_en(f: &IncidentFacts, b: &AffectedBusiness) -> Draft {
    let l = Language::En;
    let mut d = Doc::default();
    d.line(&format!("Dear {},", b.name));
    d.blank();
    d.para(
        "As your processor, Termino is notifying you of a personal data breach affecting personal \
         data we process on your behalf (Art. 33(2) GDPR and section 9 of our Data Processing \
         Agreement).",
    );
    d.blank();
    d.field("Reference:", f.reference);
    d.field("Controller:", &controller_line(b));

    d.heading("YOUR 72-HOUR DEADLINE");
    d.para(
        "As the controller, you must notify the supervisory authority without undue delay and, \
         where feasible, within 72 hours of becoming aware of the breach, unless it is unlikely \
         to result in a risk to the rights and freedoms of your clients (Art. 33(1) GDPR). \
         Counted conservatively from the moment we became aware, the 72 hours end at:",
    );
    d.line(&format!("  {}", zones(l, notify_by(f.aware_at))));
    d.para(
        "In Poland the supervisory authority is the President of the Personal Data Protection \
         Office (Prezes UODO). We will assist you with the notification (section 9.1 of the \
         Data Processing Agreement).",
    );
    d.blank();
    if individuals_exempt(f) {
        d.para(
            "Because the data was stored encrypted and no encryption key was exposed, notifying \
             your clients individually may not be required (Art. 34(3)(a) GDPR). The decision \
             is yours as the controller.",
        );
    } else {
        d.para(
            "If the breach is likely to result in a high risk to the rights and freedoms of your \
             clients, you must also inform them without undue delay (Art. 34(1) GDPR). We can \
             help you prepare that notice.",
        );
    }

    d.heading("WHAT HAPPENED");
    d.field("We became aware of the breach:", &zones(l, f.aware_at));
    window(&mut d, l, f);
    d.field("Nature of the breach:", or(f.nature, PENDING_EN));
    d.field("Systems involved:", &list_or(f.systems, PENDING_EN));

    d.heading("DATA AFFECTED");
    d.field(
        "Categories of personal data:",
        &list_or(f.categories, PENDING_EN),
    );
    d.field(
        "Data subjects affected (your clients):",
        &about(l, b.data_subjects),
    );
    d.field("Personal data records affected:", &about(l, b.records));
    d.field("Encryption:", encryption_status(l, f));

    d.heading("LIKELY CONSEQUENCES");
    d.para(or(f.consequences, PENDING_EN));

    d.heading("MEASURES TAKEN OR PROPOSED");
    d.para(or(f.measures, PENDING_EN));

    d.heading("CONTACT POINT FOR MORE INFORMATION");
    d.para(or(f.contact, PENDING_EN));

    d.heading("FURTHER INFORMATION");
    d.para(&format!(
        "Where information is not yet available, we will provide it in phases without undue \
         further delay (Art. 33(4) GDPR). Every update will quote the reference {}.",
        f.reference
    ));
    d.blank();
    d.line("Kind regards,");
    d.line("Termino");

    Draft {
        subject: format!(
            "Termino: personal data breach notification ({})",
            f.reference
        ),
        body: d.finish(),
    }
}

fn processor_notice_pl(f: &IncidentFacts, b: &AffectedBusiness) -> Draft {
    let l = Language::Pl;
    let mut d = Doc::default();
    d.line("Szanowni Państwo,");
    d.blank();
    d.para(
        "jako podmiot przetwarzający zgłaszamy naruszenie ochrony danych osobowych, które dotyczy \
         danych przetwarzanych przez Termino w Państwa imieniu (art. 33 ust. 2 RODO oraz pkt 9 \
         umowy powierzenia przetwarzania danych osobowych).",
    );
    d.blank();
    d.field("Numer zgłoszenia:", f.reference);
    d.field("Administrator:", &controller_line(b));

    d.heading("TERMIN 72 GODZIN DLA PAŃSTWA");
    d.para(
        "Jako administrator muszą Państwo zgłosić naruszenie organowi nadzorczemu bez zbędnej \
         zwłoki – w miarę możliwości nie później niż w terminie 72 godzin po jego stwierdzeniu – \
         chyba że jest mało prawdopodobne, by skutkowało ono ryzykiem naruszenia praw lub \
         wolności Państwa klientów (art. 33 ust. 1 RODO). Licząc ostrożnie od chwili, w której \
         sami stwierdziliśmy naruszenie, termin upływa:",
    );
    d.line(&format!("  {}", zones(l, notify_by(f.aware_at))));
    d.para(
        "W Polsce organem nadzorczym jest Prezes Urzędu Ochrony Danych Osobowych (Prezes UODO). \
         Pomożemy Państwu przygotować zgłoszenie (pkt 9.1 umowy powierzenia).",
    );
    d.blank();
    if individuals_exempt(f) {
        d.para(
            "Ponieważ dane były przechowywane w postaci zaszyfrowanej, a żaden klucz szyfrujący \
             nie został ujawniony, zawiadomienie Państwa klientów może nie być wymagane \
             (art. 34 ust. 3 lit. a RODO). Decyzja należy do Państwa jako administratora.",
        );
    } else {
        d.para(
            "Jeżeli naruszenie może powodować wysokie ryzyko naruszenia praw lub wolności Państwa \
             klientów, muszą Państwo także bez zbędnej zwłoki zawiadomić ich o naruszeniu \
             (art. 34 ust. 1 RODO). Pomożemy przygotować treść zawiadomienia.",
        );
    }

    d.heading("CO SIĘ STAŁO");
    d.field("Stwierdziliśmy naruszenie:", &zones(l, f.aware_at));
    window(&mut d, l, f);
    d.field("Charakter naruszenia:", or(f.nature, PENDING_PL));
    d.field(
        "Systemy, których dotyczy naruszenie:",
        &list_or(f.systems, PENDING_PL),
    );

    d.heading("JAKICH DANYCH DOTYCZY NARUSZENIE");
    d.field(
        "Kategorie danych osobowych:",
        &list_or(f.categories, PENDING_PL),
    );
    d.field(
        "Liczba osób, których dane dotyczą (Państwa klientów):",
        &about(l, b.data_subjects),
    );
    d.field("Liczba wpisów danych osobowych:", &about(l, b.records));
    d.field("Szyfrowanie:", encryption_status(l, f));

    d.heading("MOŻLIWE KONSEKWENCJE NARUSZENIA");
    d.para(or(f.consequences, PENDING_PL));

    d.heading("ŚRODKI ZASTOSOWANE LUB PROPONOWANE");
    d.para(or(f.measures, PENDING_PL));

    d.heading("PUNKT KONTAKTOWY, OD KTÓREGO MOŻNA UZYSKAĆ WIĘCEJ INFORMACJI");
    d.para(or(f.contact, PENDING_PL));

    d.heading("DALSZE INFORMACJE");
    d.para(&format!(
        "Informacje, które nie są jeszcze dostępne, przekażemy etapami bez dalszej zbędnej zwłoki \
         (art. 33 ust. 4 RODO). Każda aktualizacja będzie zawierać numer zgłoszenia {}.",
        f.reference
    ));
    d.blank();
    d.line("Z poważaniem");
    d.line("Termino");

    Draft {
        subject: format!(
            "Termino: zgłoszenie naruszenia ochrony danych osobowych ({})",
            f.reference
        ),
        body: d.finish(),
    }
}

// ---------------------------------------------------------------------------
// Draft notification to the President of UODO

fn uodo_draft_en(f: &IncidentFacts, b: &AffectedBusiness) -> Draft {
    let l = Language::En;
    let todo = |what: &str| format!("[to complete: {what}]");
    let deadline = zones(l, notify_by(f.aware_at));
    let mut d = Doc::default();
    d.line("DRAFT: NOTIFICATION OF A PERSONAL DATA BREACH");
    d.line("to the President of the Personal Data Protection Office");
    d.line("(Prezes Urzędu Ochrony Danych Osobowych), under Art. 33 GDPR");

    d.heading("Notes for you (remove before sending):");
    d.para_indented(
        &format!(
            "- Termino, your processor, pre-filled this draft from its records of incident {}. \
             Check every section and complete the places marked \"[to complete: ...]\".",
            f.reference
        ),
        "  ",
    );
    d.para_indented(
        "- The notification is made by you as the controller, e.g. through the UODO form on \
         biznes.gov.pl. The UODO form is in Polish.",
        "  ",
    );
    d.line("- Deadline, counted conservatively from Termino's awareness:");
    d.line(&format!("  {deadline}"));

    d.heading("1. TYPE OF NOTIFICATION");
    d.field(
        "Type:",
        &todo("initial / complete / supplementary notification"),
    );
    d.para(
        "Information that is not yet available may be provided in phases without undue further \
         delay (Art. 33(4) GDPR).",
    );

    d.blank();
    d.line("Addressee: Prezes Urzędu Ochrony Danych Osobowych");
    d.line("           ul. Stawki 2, 00-193 Warszawa, Poland");

    d.heading("2. CONTROLLER");
    d.field("Name:", b.name);
    d.field("NIP:", &b.tax_id.map_or_else(|| todo("NIP"), str::to_owned));
    d.field("REGON / KRS:", &todo("if applicable"));
    d.field("Registered address:", &todo("address"));

    d.heading("3. PROCESSOR INVOLVED");
    d.field(
        "Name:",
        "Termino, operator of the Termino online booking service",
    );
    d.field(
        "Role:",
        "processor acting on behalf of the controller under a data processing agreement \
         (Art. 28 GDPR)",
    );
    d.field(
        "Processor's contact point:",
        or(f.contact, &todo("contact point")),
    );
    d.field(
        "Processor notified the controller:",
        &todo("date and time Termino's notice was received"),
    );

    d.heading("4. TIME OF THE BREACH");
    d.field("Start of the breach:", &zones(l, f.window_start));
    d.field("End of the breach:", &zones(l, f.window_end));
    d.field("Processor became aware:", &zones(l, f.aware_at));
    d.field(
        "Controller became aware:",
        &todo("date and time, normally when Termino's notice was received"),
    );
    d.field(
        "Reasons for any delay beyond 72 hours:",
        &todo("only if notifying more than 72 hours after becoming aware"),
    );

    d.heading("5. NATURE OF THE BREACH");
    d.field(
        "Type:",
        &todo("breach of confidentiality / integrity / availability"),
    );
    d.field("Description:", or(f.nature, &todo("what happened")));
    d.field("Systems involved:", &list_or(f.systems, &todo("systems")));
    d.field(
        "Security measures in place before the breach:",
        encryption_status(l, f),
    );

    d.heading("6. CATEGORIES AND APPROXIMATE NUMBERS");
    d.field(
        "Categories of data subjects:",
        "clients of the controller (people who book appointments)",
    );
    d.field(
        "Approximate number of data subjects:",
        &about(l, b.data_subjects),
    );
    d.field(
        "Categories of personal data:",
        &list_or(f.categories, &todo("categories")),
    );
    d.field(
        "Approximate number of personal data records:",
        &about(l, b.records),
    );

    d.heading("7. LIKELY CONSEQUENCES OF THE BREACH");
    d.para(or(f.consequences, &todo("likely consequences")));

    d.heading("8. MEASURES TAKEN OR PROPOSED");
    d.field(
        "By the processor (Termino):",
        or(f.measures, &todo("measures")),
    );
    d.field(
        "By the controller:",
        &todo("measures taken or proposed by the controller"),
    );

    d.heading("9. CONTACT POINT");
    d.field(
        "Data protection officer or other contact point of the controller:",
        &todo("name, e-mail, phone"),
    );
    d.field(
        "Processor's contact point:",
        or(f.contact, &todo("contact point")),
    );

    d.heading("10. COMMUNICATION TO THE DATA SUBJECTS");
    if individuals_exempt(f) {
        d.para(&format!(
            "Notifying the data subjects may not be required under Art. 34(3)(a) GDPR: the data \
             affected was encrypted and no encryption key was exposed, so it was unintelligible \
             to any person who is not authorised to access it. {}",
            todo("confirm whether you notify the data subjects anyway")
        ));
    } else {
        d.para("The data subjects are being notified of the breach under Art. 34(1) GDPR.");
        d.field("How:", &todo("e.g. an e-mail to each client"));
        d.field("When:", &todo("date"));
        d.field(
            "Content of the notice:",
            &todo("attach or paste the text sent to clients"),
        );
    }

    d.blank();
    d.para(&todo(
        "place, date, name and signature of the person authorised to act for the controller",
    ));

    Draft {
        subject: format!(
            "Draft notification of a personal data breach to the President of UODO ({})",
            f.reference
        ),
        body: d.finish(),
    }
}

fn uodo_draft_pl(f: &IncidentFacts, b: &AffectedBusiness) -> Draft {
    let l = Language::Pl;
    let todo = |what: &str| format!("[do uzupełnienia: {what}]");
    let deadline = zones(l, notify_by(f.aware_at));
    let mut d = Doc::default();
    d.line("PROJEKT: ZGŁOSZENIE NARUSZENIA OCHRONY DANYCH OSOBOWYCH");
    d.line("do Prezesa Urzędu Ochrony Danych Osobowych (art. 33 RODO)");

    d.heading("Uwagi dla Państwa (do usunięcia przed wysłaniem):");
    d.para_indented(
        &format!(
            "- Projekt został wstępnie wypełniony przez Termino, Państwa podmiot przetwarzający, \
             na podstawie dokumentacji incydentu {}. Prosimy sprawdzić każdą sekcję i uzupełnić \
             miejsca oznaczone „[do uzupełnienia: ...]”.",
            f.reference
        ),
        "  ",
    );
    d.para_indented(
        "- Zgłoszenia dokonuje administrator, np. za pomocą formularza UODO na platformie \
         biznes.gov.pl.",
        "  ",
    );
    d.line("- Termin liczony ostrożnie od stwierdzenia naruszenia przez Termino:");
    d.line(&format!("  {deadline}"));

    d.heading("Prezes Urzędu Ochrony Danych Osobowych");
    d.line("ul. Stawki 2, 00-193 Warszawa");

    d.heading("1. RODZAJ ZGŁOSZENIA");
    d.field(
        "Rodzaj:",
        &todo("zgłoszenie wstępne / kompletne / uzupełniające"),
    );
    d.para(
        "Informacje, które nie są jeszcze dostępne, mogą być przekazywane etapami bez dalszej \
         zbędnej zwłoki (art. 33 ust. 4 RODO).",
    );

    d.heading("2. ADMINISTRATOR");
    d.field("Nazwa:", b.name);
    d.field("NIP:", &b.tax_id.map_or_else(|| todo("NIP"), str::to_owned));
    d.field("REGON / KRS:", &todo("jeśli dotyczy"));
    d.field("Adres siedziby:", &todo("adres"));

    d.heading("3. PODMIOT PRZETWARZAJĄCY");
    d.field(
        "Nazwa:",
        "Termino, operator serwisu rezerwacji online Termino",
    );
    d.field(
        "Podstawa przetwarzania:",
        "umowa powierzenia przetwarzania danych osobowych (art. 28 RODO)",
    );
    d.field(
        "Punkt kontaktowy podmiotu przetwarzającego:",
        or(f.contact, &todo("kontakt")),
    );
    d.field(
        "Zawiadomienie administratora przez podmiot przetwarzający:",
        &todo("data i godzina otrzymania zgłoszenia od Termino"),
    );

    d.heading("4. CZAS NARUSZENIA");
    d.field("Początek naruszenia:", &zones(l, f.window_start));
    d.field("Koniec naruszenia:", &zones(l, f.window_end));
    d.field(
        "Stwierdzenie naruszenia przez podmiot przetwarzający:",
        &zones(l, f.aware_at),
    );
    d.field(
        "Stwierdzenie naruszenia przez administratora:",
        &todo("data i godzina, zwykle chwila otrzymania zgłoszenia od Termino"),
    );
    d.field(
        "Przyczyny opóźnienia zgłoszenia (po upływie 72 godzin):",
        &todo("tylko jeśli zgłoszenie następuje po upływie 72 godzin od stwierdzenia naruszenia"),
    );

    d.heading("5. CHARAKTER NARUSZENIA");
    d.field(
        "Rodzaj:",
        &todo("naruszenie poufności / integralności / dostępności danych"),
    );
    d.field("Opis:", or(f.nature, &todo("opis zdarzenia")));
    d.field(
        "Systemy, których dotyczy naruszenie:",
        &list_or(f.systems, &todo("systemy")),
    );
    d.field(
        "Środki bezpieczeństwa stosowane przed naruszeniem:",
        encryption_status(l, f),
    );

    d.heading("6. KATEGORIE I PRZYBLIŻONA LICZBA OSÓB ORAZ WPISÓW DANYCH");
    d.field(
        "Kategorie osób, których dane dotyczą:",
        "klienci administratora (osoby rezerwujące wizyty)",
    );
    d.field(
        "Przybliżona liczba osób, których dane dotyczą:",
        &about(l, b.data_subjects),
    );
    d.field(
        "Kategorie danych osobowych:",
        &list_or(f.categories, &todo("kategorie danych")),
    );
    d.field(
        "Przybliżona liczba wpisów danych osobowych:",
        &about(l, b.records),
    );

    d.heading("7. MOŻLIWE KONSEKWENCJE NARUSZENIA");
    d.para(or(f.consequences, &todo("możliwe konsekwencje")));

    d.heading("8. ŚRODKI ZASTOSOWANE LUB PROPONOWANE");
    d.field(
        "Przez podmiot przetwarzający (Termino):",
        or(f.measures, &todo("środki")),
    );
    d.field(
        "Przez administratora:",
        &todo("środki zastosowane lub proponowane przez administratora"),
    );

    d.heading("9. PUNKT KONTAKTOWY");
    d.field(
        "Inspektor ochrony danych lub inny punkt kontaktowy administratora:",
        &todo("imię i nazwisko, e-mail, telefon"),
    );
    d.field(
        "Punkt kontaktowy podmiotu przetwarzającego:",
        or(f.contact, &todo("kontakt")),
    );

    d.heading("10. ZAWIADOMIENIE OSÓB, KTÓRYCH DANE DOTYCZĄ");
    if individuals_exempt(f) {
        d.para(&format!(
            "Zawiadomienie osób, których dane dotyczą, może nie być wymagane na podstawie \
             art. 34 ust. 3 lit. a RODO: dane objęte naruszeniem były zaszyfrowane, a żaden klucz \
             szyfrujący nie został ujawniony, co uniemożliwiało ich odczyt osobom nieuprawnionym \
             do dostępu do tych danych. {}",
            todo("decyzja administratora, czy mimo to zawiadamia osoby")
        ));
    } else {
        d.para(
            "Osoby, których dane dotyczą, są zawiadamiane o naruszeniu na podstawie art. 34 ust. 1 \
             RODO.",
        );
        d.field(
            "Sposób zawiadomienia:",
            &todo("np. e-mail do każdego klienta"),
        );
        d.field("Data zawiadomienia:", &todo("data"));
        d.field(
            "Treść zawiadomienia:",
            &todo("załączyć lub wkleić treść wysłaną klientom"),
        );
    }

    d.blank();
    d.para(&todo(
        "miejscowość, data, imię i nazwisko oraz podpis osoby upoważnionej do działania w imieniu \
         administratora",
    ));

    Draft {
        subject: format!(
            "Projekt zgłoszenia naruszenia ochrony danych osobowych do Prezesa UODO ({})",
            f.reference
        ),
        body: d.finish(),
    }
}

// ---------------------------------------------------------------------------
// Notice to clients

fn client_notice_en(f: &IncidentFacts, business_name: &str) -> Draft {
    let later = "We are still checking this. We will tell you more as soon as we know.";
    let mut d = Doc::default();
    d.line("Hello,");
    d.blank();
    d.para(
        "We are writing to tell you about a security incident that affects your personal data. \
         We use Termino for online bookings. The incident happened in Termino's systems.",
    );

    d.heading("WHAT HAPPENED");
    d.para(or(f.nature, later));
    d.para(&format!(
        "It happened between {} and {} (Polish time).",
        local(Language::En, f.window_start),
        local(Language::En, f.window_end)
    ));

    d.heading("WHICH DATA IS AFFECTED");
    match joined(f.categories) {
        Some(list) => d.para(&format!(
            "The incident affects this data about you: {list}."
        )),
        None => d.para(later),
    }
    d.para(match (f.encrypted, f.key_exposed) {
        (true, false) => "The data was encrypted. The key needed to read it was not exposed.",
        (true, true) => "The data was encrypted, but the key needed to read it was exposed too.",
        (false, _) => "The data was not encrypted.",
    });

    d.heading("WHAT THIS MAY MEAN FOR YOU");
    d.para(or(f.consequences, later));

    d.heading("WHAT HAS BEEN DONE");
    d.para(or(f.measures, later));

    d.heading("WHAT YOU CAN DO");
    d.line("- Be careful with unexpected e-mails, text messages and calls about your bookings.");
    d.line("- Do not give out passwords or card details in reply to such messages.");
    d.line("- If something looks suspicious, contact us first.");

    d.heading("QUESTIONS");
    d.para("If you have any questions, please get in touch with us.");
    if !f.contact.trim().is_empty() {
        d.para(&format!(
            "You can also contact Termino directly: {}",
            f.contact.trim()
        ));
    }
    d.blank();
    d.line("We are sorry this happened.");
    d.blank();
    d.line(business_name);

    Draft {
        subject: format!(
            "Important information about your personal data ({})",
            f.reference
        ),
        body: d.finish(),
    }
}

fn client_notice_pl(f: &IncidentFacts, business_name: &str) -> Draft {
    let later = "Wciąż to sprawdzamy. Przekażemy więcej informacji, gdy tylko będziemy je mieć.";
    let mut d = Doc::default();
    d.line("Dzień dobry,");
    d.blank();
    d.para(
        "piszemy, aby poinformować Państwa o incydencie bezpieczeństwa, który dotyczy Państwa \
         danych osobowych. Do rezerwacji online używamy systemu Termino. Incydent wydarzył się \
         w systemach Termino.",
    );

    d.heading("CO SIĘ STAŁO");
    d.para(or(f.nature, later));
    d.para(&format!(
        "Do zdarzenia doszło między {} a {} (czasu polskiego).",
        local(Language::Pl, f.window_start),
        local(Language::Pl, f.window_end)
    ));

    d.heading("JAKICH DANYCH TO DOTYCZY");
    match joined(f.categories) {
        Some(list) => d.para(&format!("Incydent dotyczy tych Państwa danych: {list}.")),
        None => d.para(later),
    }
    d.para(match (f.encrypted, f.key_exposed) {
        (true, false) => "Dane były zaszyfrowane. Klucz potrzebny do ich odczytania nie wyciekł.",
        (true, true) => {
            "Dane były zaszyfrowane, ale wyciekł też klucz potrzebny do ich odczytania."
        }
        (false, _) => "Dane nie były zaszyfrowane.",
    });

    d.heading("CO TO MOŻE OZNACZAĆ DLA PAŃSTWA");
    d.para(or(f.consequences, later));

    d.heading("CO ZOSTAŁO ZROBIONE");
    d.para(or(f.measures, later));

    d.heading("CO MOGĄ PAŃSTWO ZROBIĆ");
    d.line("- Prosimy uważać na nieoczekiwane e-maile, SMS-y i telefony w sprawie Państwa wizyt.");
    d.line(
        "- Prosimy nie podawać haseł ani danych karty płatniczej w odpowiedzi na takie wiadomości.",
    );
    d.line("- Jeśli coś wyda się Państwu podejrzane, prosimy najpierw skontaktować się z nami.");

    d.heading("PYTANIA");
    d.para("Jeśli mają Państwo pytania, prosimy o kontakt z nami.");
    if !f.contact.trim().is_empty() {
        d.para(&format!(
            "Można też napisać bezpośrednio do Termino: {}",
            f.contact.trim()
        ));
    }
    d.blank();
    d.line("Przepraszamy za tę sytuację.");
    d.blank();
    d.line(business_name);

    Draft {
        subject: format!(
            "Ważna informacja o Państwa danych osobowych ({})",
            f.reference
        ),
        body: d.finish(),
    }
}

// ---------------------------------------------------------------------------
// Shared pieces

const PENDING_EN: &str = "still being established; we will follow up.";
const PENDING_PL: &str = "w trakcie ustalania; uzupełnimy tę informację.";
const NOT_RECORDED: &str = "[not recorded]";

/// `text` trimmed, or `fallback` when it is blank.
fn or<'a>(text: &'a str, fallback: &'a str) -> &'a str {
    let t = text.trim();
    if t.is_empty() { fallback } else { t }
}

/// The non-blank items joined with ", ", or `None` when there are none.
fn joined(items: &[String]) -> Option<String> {
    let items: Vec<&str> = items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        None
    } else {
        Some(items.join(", "))
    }
}

fn list_or(items: &[String], fallback: &str) -> String {
    joined(items).unwrap_or_else(|| fallback.to_owned())
}

/// "approximately 120" / "około 120".
fn about(lang: Language, n: u64) -> String {
    match lang {
        Language::En => format!("approximately {n}"),
        Language::Pl => format!("około {n}"),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "12 h 05 min", never negative.
fn hours_minutes(span: chrono::Duration) -> String {
    let minutes = span.num_minutes().max(0);
    format!("{} h {:02} min", minutes / 60, minutes % 60)
}

/// [`both_zones`], with the city named in the text's language.
fn zones(lang: Language, at: DateTime<Utc>) -> String {
    let s = both_zones(at);
    match lang {
        Language::En => s,
        Language::Pl => s.replace(" Warsaw)", " Warszawa)"),
    }
}

/// A moment on the Warsaw wall clock, for people rather than registers:
/// "18 November 2026, 23:00" / "18.11.2026, godz. 23:00".
fn local(lang: Language, at: DateTime<Utc>) -> String {
    let at = at.with_timezone(&Warsaw);
    match lang {
        Language::En => at.format("%-d %B %Y, %H:%M").to_string(),
        Language::Pl => at.format("%d.%m.%Y, godz. %H:%M").to_string(),
    }
}

/// "Salon Anna, NIP 5260250274", or the name alone.
fn controller_line(b: &AffectedBusiness) -> String {
    match b.tax_id.map(str::trim).filter(|t| !t.is_empty()) {
        Some(nip) => format!("{}, NIP {nip}", b.name),
        None => b.name.to_owned(),
    }
}

fn encryption_status(lang: Language, f: &IncidentFacts) -> &'static str {
    match (lang, f.encrypted, f.key_exposed) {
        (Language::En, true, false) => {
            "the data was stored encrypted; no encryption key was exposed."
        }
        (Language::En, true, true) => {
            "the data was stored encrypted, but an encryption key was exposed."
        }
        (Language::En, false, false) => "the data was not stored encrypted.",
        (Language::En, false, true) => {
            "the data was not stored encrypted; an encryption key was also exposed."
        }
        (Language::Pl, true, false) => {
            "dane były przechowywane w postaci zaszyfrowanej; żaden klucz szyfrujący nie został \
             ujawniony."
        }
        (Language::Pl, true, true) => {
            "dane były przechowywane w postaci zaszyfrowanej, ale ujawniony został klucz \
             szyfrujący."
        }
        (Language::Pl, false, false) => "dane nie były przechowywane w postaci zaszyfrowanej.",
        (Language::Pl, false, true) => {
            "dane nie były przechowywane w postaci zaszyfrowanej; ujawniony został także klucz \
             szyfrujący."
        }
    }
}

/// The time window of the breach, one moment a line.
fn window(d: &mut Doc, lang: Language, f: &IncidentFacts) {
    let (label, from, to) = match lang {
        Language::En => ("Time window of the breach:", "from", "to  "),
        Language::Pl => ("Okres, w którym doszło do naruszenia:", "od", "do"),
    };
    d.line(label);
    d.line(&format!("  {from} {}", zones(lang, f.window_start)));
    d.line(&format!("  {to} {}", zones(lang, f.window_end)));
}

/// A plain-text document built line by line, wrapping free text at [`WIDTH`].
#[derive(Default)]
struct Doc(String);

impl Doc {
    fn line(&mut self, s: &str) {
        self.0.push_str(s);
        self.0.push('\n');
    }

    fn blank(&mut self) {
        if !self.0.is_empty() && !self.0.ends_with("\n\n") {
            self.0.push('\n');
        }
    }

    fn heading(&mut self, s: &str) {
        self.blank();
        self.line(s);
    }

    /// Free text, wrapped; line breaks in it are kept.
    fn para(&mut self, text: &str) {
        self.para_indented(text, "");
    }

    /// Free text wrapped with continuation lines indented by `indent`.
    fn para_indented(&mut self, text: &str, indent: &str) {
        for line in text.lines() {
            if line.trim().is_empty() {
                self.blank();
            } else {
                self.0.push_str(&wrap(line, "", indent));
                self.0.push('\n');
            }
        }
    }

    /// "Label: value" on one line when it fits, else the value wrapped below.
    fn field(&mut self, label: &str, value: &str) {
        let value = value.trim();
        let one_line = label.chars().count() + 1 + value.chars().count();
        if !value.contains('\n') && one_line <= WIDTH {
            self.line(&format!("{label} {value}"));
        } else {
            self.line(label);
            for line in value.lines().filter(|l| !l.trim().is_empty()) {
                self.0.push_str(&wrap(line, "  ", "  "));
                self.0.push('\n');
            }
        }
    }

    fn finish(self) -> String {
        let mut s = self.0.trim_end().to_owned();
        s.push('\n');
        s
    }
}

/// Words that must not end a line: Polish one-letter words and the first
/// half of references such as "art. 33" or "[to complete: ...]".
const GLUED_TO_NEXT: [&str; 10] = [
    "art.", "(art.", "Art.", "(Art.", "ust.", "lit.", "pkt", "(pkt", "[do", "[to",
];

/// Words that must not start a line: the second half of "33 ust. 4 RODO",
/// "Art. 33(2) GDPR", and a dash.
const GLUED_TO_PREVIOUS: [&str; 5] = ["ust.", "lit.", "RODO", "GDPR", "–"];

/// The words of `text`, those that must stay together joined into one unit.
fn units(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut glue_next = false;
    for word in text.split_whitespace() {
        let glue_prev = GLUED_TO_PREVIOUS.iter().any(|p| word.starts_with(p));
        match out.last_mut() {
            Some(last) if glue_next || glue_prev => {
                last.push(' ');
                last.push_str(word);
            }
            _ => out.push(word.to_owned()),
        }
        let one_letter = word.chars().count() == 1 && word.chars().all(char::is_alphabetic);
        glue_next = one_letter || GLUED_TO_NEXT.contains(&word);
    }
    out
}

/// Greedy word wrap of one line of text at [`WIDTH`] characters; a unit
/// longer than the width stands on its own line.
fn wrap(text: &str, first_indent: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut current = first_indent.to_owned();
    let mut current_len = first_indent.chars().count();
    let mut empty = true;
    for unit in units(text) {
        let len = unit.chars().count();
        if !empty && current_len + 1 + len > WIDTH {
            out.push_str(&current);
            out.push('\n');
            current = indent.to_owned();
            current_len = indent.chars().count();
            empty = true;
        }
        if !empty {
            current.push(' ');
            current_len += 1;
        }
        current.push_str(&unit);
        current_len += len;
        empty = false;
    }
    out.push_str(&current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .unwrap_or_default()
    }

    struct Fixture {
        systems: Vec<String>,
        categories: Vec<String>,
    }

    fn fixture() -> Fixture {
        Fixture {
            systems: vec!["database replica".into()],
            categories: vec![
                "contact details".into(),
                "booking history".into(),
                "notes".into(),
            ],
        }
    }

    fn facts(fx: &Fixture, encrypted: bool, key_exposed: bool) -> IncidentFacts<'_> {
        IncidentFacts {
            reference: "INC-2026-0003",
            aware_at: at(2026, 11, 20, 8, 0),
            window_start: at(2026, 11, 18, 22, 0),
            window_end: at(2026, 11, 19, 3, 0),
            nature: "A backup copy of the database replica was reachable from the internet \
                     without authentication for about five hours.",
            systems: &fx.systems,
            categories: &fx.categories,
            encrypted,
            key_exposed,
            consequences: "Clients could receive phishing messages that mention their bookings.",
            measures: "Access to the copy was closed, the copy was deleted and the keys were \
                       rotated.",
            contact: "privacy@termino.example, +48 22 123 45 67",
        }
    }

    fn business() -> AffectedBusiness<'static> {
        AffectedBusiness {
            name: "Salon Anna",
            tax_id: Some("5260250274"),
            data_subjects: 120,
            records: 3400,
        }
    }

    /// Whitespace folded to single spaces, so wrapped phrases still match.
    fn flat(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn lines_fit(s: &str) {
        for line in s.lines() {
            assert!(line.chars().count() <= 100, "line too long: {line:?}");
        }
    }

    #[test]
    fn exemption_needs_encryption_and_no_exposed_key() {
        let fx = fixture();
        assert!(individuals_exempt(&facts(&fx, true, false)));
        assert!(!individuals_exempt(&facts(&fx, true, true)));
        assert!(!individuals_exempt(&facts(&fx, false, false)));
        assert!(!individuals_exempt(&facts(&fx, false, true)));
    }

    #[test]
    fn processor_notice_has_everything_article_33_3_asks_for() {
        let fx = fixture();
        let f = facts(&fx, true, false);
        let n = processor_notice(Language::En, &f, &business());
        assert!(n.subject.contains("INC-2026-0003"));
        let body = flat(&n.body);
        assert!(body.contains("approximately 120"));
        assert!(body.contains("approximately 3400"));
        assert!(body.contains("contact details, booking history, notes"));
        assert!(body.contains("database replica"));
        assert!(body.contains("privacy@termino.example, +48 22 123 45 67"));
        assert!(body.contains(&flat(f.consequences)));
        assert!(body.contains(&flat(f.measures)));
        assert!(body.contains(&flat(f.nature)));
        assert!(body.contains("Salon Anna, NIP 5260250274"));
        assert!(body.contains("33(4)"));
        // The deadline, both zones, on a line of its own.
        assert!(
            n.body
                .contains("2026-11-23 08:00 UTC (2026-11-23 09:00 CET Warsaw)")
        );
        assert!(n.body.contains(&both_zones(notify_by(f.aware_at))));
        assert!(n.body.contains(&both_zones(f.aware_at)));
        assert!(n.body.contains(&both_zones(f.window_start)));
        assert!(n.body.contains(&both_zones(f.window_end)));
        assert!(body.contains("no encryption key was exposed"));
        lines_fit(&n.body);
    }

    #[test]
    fn polish_processor_notice_has_everything_too() {
        let fx = fixture();
        let f = facts(&fx, true, true);
        let n = processor_notice(Language::Pl, &f, &business());
        assert!(n.subject.contains("INC-2026-0003"));
        let body = flat(&n.body);
        assert!(body.contains("około 120"));
        assert!(body.contains("około 3400"));
        assert!(body.contains("contact details, booking history, notes"));
        assert!(body.contains("privacy@termino.example, +48 22 123 45 67"));
        assert!(body.contains(&flat(f.consequences)));
        assert!(body.contains(&flat(f.measures)));
        assert!(body.contains("art. 33 ust. 4 RODO"));
        assert!(body.contains("ujawniony został klucz szyfrujący"));
        assert!(
            n.body
                .contains("2026-11-23 08:00 UTC (2026-11-23 09:00 CET Warszawa)")
        );
        assert!(!body.contains("34 ust. 3 lit. a"));
        lines_fit(&n.body);
    }

    #[test]
    fn uodo_draft_says_individuals_may_be_exempt_only_when_encrypted_without_key() {
        let fx = fixture();
        let b = business();

        let exempt = flat(&uodo_draft(Language::En, &facts(&fx, true, false), &b).body);
        assert!(exempt.contains("may not be required under Art. 34(3)(a) GDPR"));
        assert!(exempt.contains("unintelligible to any person who is not authorised"));
        assert!(!exempt.contains("Art. 34(1)"));

        for (encrypted, key_exposed) in [(true, true), (false, false), (false, true)] {
            let f = facts(&fx, encrypted, key_exposed);
            let body = flat(&uodo_draft(Language::En, &f, &b).body);
            assert!(!body.contains("34(3)(a)"), "{encrypted} {key_exposed}");
            assert!(body.contains("being notified of the breach under Art. 34(1) GDPR"));
            let pl = flat(&uodo_draft(Language::Pl, &f, &b).body);
            assert!(
                !pl.contains("34 ust. 3 lit. a"),
                "{encrypted} {key_exposed}"
            );
            assert!(pl.contains("na podstawie art. 34 ust. 1 RODO"));
        }

        let pl = flat(&uodo_draft(Language::Pl, &facts(&fx, true, false), &b).body);
        assert!(pl.contains("może nie być wymagane na podstawie art. 34 ust. 3 lit. a RODO"));
        assert!(!pl.contains("art. 34 ust. 1"));
    }

    #[test]
    fn uodo_draft_is_prefilled_and_marks_what_to_complete() {
        let fx = fixture();
        let f = facts(&fx, true, false);
        let b = business();
        let en = uodo_draft(Language::En, &f, &b);
        let pl = uodo_draft(Language::Pl, &f, &b);
        assert_ne!(en.body, pl.body);
        assert_ne!(en.subject, pl.subject);
        assert!(en.subject.contains("INC-2026-0003"));
        assert!(pl.subject.contains("INC-2026-0003"));

        let pl_body = flat(&pl.body);
        assert!(pl_body.contains("Prezes Urzędu Ochrony Danych Osobowych"));
        assert!(pl_body.contains("[do uzupełnienia:"));
        assert!(!pl_body.contains("[to complete:"));
        assert!(pl_body.contains("Salon Anna"));
        assert!(pl_body.contains("NIP: 5260250274"));
        assert!(pl_body.contains("Termino"));
        assert!(pl_body.contains("około 120"));
        assert!(pl_body.contains("około 3400"));
        assert!(pl_body.contains(&flat(f.consequences)));
        assert!(pl_body.contains(&flat(f.measures)));
        assert!(pl_body.contains("privacy@termino.example"));
        assert!(pl_body.contains(&zones(Language::Pl, f.aware_at)));
        assert!(pl_body.contains(&zones(Language::Pl, f.window_start)));

        let en_body = flat(&en.body);
        assert!(en_body.contains("[to complete:"));
        assert!(en_body.contains("NIP: 5260250274"));
        assert!(en_body.contains("approximately 120"));
        assert!(en_body.contains("approximately 3400"));
        assert!(en_body.contains(&both_zones(f.aware_at)));
        lines_fit(&en.body);
        lines_fit(&pl.body);

        let no_nip = AffectedBusiness {
            tax_id: None,
            ..business()
        };
        assert!(
            uodo_draft(Language::En, &f, &no_nip)
                .body
                .contains("NIP: [to complete: NIP]")
        );
        assert!(
            uodo_draft(Language::Pl, &f, &no_nip)
                .body
                .contains("NIP: [do uzupełnienia: NIP]")
        );
    }

    #[test]
    fn client_notice_is_plain_and_signed_by_the_business() {
        let fx = fixture();
        for (encrypted, key_exposed) in [(true, false), (true, true), (false, false)] {
            let f = facts(&fx, encrypted, key_exposed);
            for lang in [Language::En, Language::Pl] {
                let n = client_notice(lang, &f, "Salon Anna");
                assert!(n.subject.contains("INC-2026-0003"));
                assert!(n.body.trim_end().ends_with("Salon Anna"));
                let lower = n.body.to_lowercase();
                assert!(!lower.contains("art."), "{}", n.body);
                assert!(!lower.contains("gdpr"));
                assert!(!lower.contains("rodo"));
                let body = flat(&n.body);
                assert!(body.contains("contact details, booking history, notes"));
                assert!(body.contains(&flat(f.consequences)));
                assert!(body.contains(&flat(f.measures)));
                assert!(body.contains("privacy@termino.example"));
                lines_fit(&n.body);
            }
        }
        let en = client_notice(Language::En, &facts(&fx, true, false), "Salon Anna");
        let pl = client_notice(Language::Pl, &facts(&fx, true, false), "Salon Anna");
        assert_ne!(en.body, pl.body);
        assert!(en.body.contains("18 November 2026, 23:00"));
        assert!(pl.body.contains("18.11.2026, godz. 23:00"));
    }

    #[test]
    fn closing_report_documents_facts_effects_and_notices() {
        let fx = fixture();
        let f = facts(&fx, true, false);
        let delivered = at(2026, 11, 20, 10, 0);
        let notified = vec![
            (business(), Some(delivered)),
            (
                AffectedBusiness {
                    name: "Gabinet Nowak",
                    tax_id: None,
                    data_subjects: 30,
                    records: 600,
                },
                None,
            ),
        ];
        let closed = at(2026, 12, 1, 12, 0);
        let r = closing_report(&f, &notified, "Not due: the data was encrypted.", closed);
        let body = flat(&r);
        assert!(r.starts_with("INCIDENT CLOSING REPORT: INC-2026-0003"));
        assert!(body.contains("Art. 33(5) GDPR"));
        assert!(body.contains(&flat(f.nature)));
        assert!(body.contains(&flat(f.consequences)));
        assert!(body.contains(&flat(f.measures)));
        assert!(body.contains("1. Salon Anna (NIP 5260250274)"));
        assert!(body.contains("approximately 120 data subjects, approximately 3400 records"));
        assert!(body.contains(&format!("notice delivered: {}", both_zones(delivered))));
        assert!(body.contains("72-hour clock at delivery: 70 h 00 min left"));
        assert!(body.contains("2. Gabinet Nowak"));
        assert!(body.contains("notice NOT delivered"));
        assert!(body.contains("2 businesses affected, 1 notice delivered."));
        assert!(body.contains("Data subjects affected: approximately 150"));
        assert!(body.contains("Personal data records affected: approximately 4000"));
        assert!(body.contains("Not due: the data was encrypted."));
        assert!(body.contains(&format!("Closed: {}", both_zones(closed))));
        assert!(body.contains("applies (data encrypted, no key exposed)"));
        lines_fit(&r);
    }

    #[test]
    fn blank_facts_are_marked_not_left_empty() {
        let empty: Vec<String> = Vec::new();
        let f = IncidentFacts {
            reference: "INC-2026-0004",
            aware_at: at(2026, 11, 20, 8, 0),
            window_start: at(2026, 11, 20, 7, 0),
            window_end: at(2026, 11, 20, 7, 30),
            nature: "Misdirected export.",
            systems: &empty,
            categories: &empty,
            encrypted: false,
            key_exposed: false,
            consequences: " ",
            measures: "",
            contact: "privacy@termino.example",
        };
        let b = business();
        let en = processor_notice(Language::En, &f, &b).body;
        assert!(en.contains("Categories of personal data: still being established"));
        let uodo = uodo_draft(Language::Pl, &f, &b).body;
        assert!(uodo.contains("Kategorie danych osobowych: [do uzupełnienia: kategorie danych]"));
        let report = closing_report(&f, &[], "", at(2026, 11, 21, 8, 0));
        assert!(report.contains("0 businesses affected, 0 notices delivered."));
        assert!(report.contains("[not recorded]"));
    }

    #[test]
    fn wrapping_keeps_words_and_width() {
        let text = "word ".repeat(60);
        let wrapped = wrap(text.trim(), "", "  ");
        assert!(wrapped.lines().count() > 1);
        lines_fit(&wrapped);
        assert_eq!(flat(&wrapped), flat(&text));
    }

    #[test]
    fn wrapping_keeps_references_and_one_letter_words_together() {
        for pad in 0..40 {
            let text = format!(
                "{} zgłoszenie w terminie (art. 34 ust. 3 lit. a RODO) i [do uzupełnienia: x]",
                "słowo ".repeat(pad)
            );
            let wrapped = wrap(&text, "", "");
            lines_fit(&wrapped);
            assert!(wrapped.contains("art. 34 ust. 3 lit. a RODO)"), "{wrapped}");
            assert!(wrapped.contains("[do uzupełnienia:"), "{wrapped}");
            for line in wrapped.lines() {
                let last = line.split(' ').next_back().unwrap_or_default();
                assert!(!["w", "i"].contains(&last), "{wrapped}");
            }
        }
    }
}
