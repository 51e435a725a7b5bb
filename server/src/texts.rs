//! Words the server writes for people: the written application of 2.6, its consequences, and
//! the where and how long of 2.5. The legal clauses themselves come from the policy files.

use consent_core::{CalendarDate, Lang};

pub const COMPANY: &str = "«AITU - Sauda»";

pub fn storage_location(lang: Lang) -> &'static str {
    match lang {
        Lang::Kk => "Қазақстан Республикасының аумағында (2.5-тармақ)",
        Lang::Ru => "На территории Республики Казахстан (п. 2.5)",
        Lang::En => "In the Republic of Kazakhstan (clause 2.5)",
    }
}

pub fn retention(lang: Lang) -> &'static str {
    match lang {
        Lang::Kk => "Пайдаланушы келісімінің қолданылу мерзімі ішінде және ол тоқтатылғаннан кейін үш жыл ішінде, егер заңнамада анағұрлым қысқа мерзім белгіленбесе (2.5-тармақ)",
        Lang::Ru => "В течение срока действия Пользовательского соглашения и трёх лет после его прекращения, если законодательством не установлен более короткий срок (п. 2.5)",
        Lang::En => "For the term of the User Agreement and three years after it ends, unless a law sets a shorter term (clause 2.5)",
    }
}

/// 2.6's warning, for a withdrawal of a purpose the policy ties to the User Agreement.
pub fn withdrawal_consequences(lang: Lang) -> &'static str {
    match lang {
        Lang::Kk => "Келісімді кері қайтарып алу Пайдаланушы келісімін тоқтата тұруға немесе тоқтатуға алып келуі мүмкін (2.6-тармақ).",
        Lang::Ru => "Отзыв согласия может повлечь приостановление или прекращение Пользовательского соглашения (п. 2.6).",
        Lang::En => "Withdrawing consent may lead to the User Agreement being suspended or ended (clause 2.6).",
    }
}

pub fn on_file_since(lang: Lang, date: CalendarDate) -> String {
    match lang {
        Lang::Kk => format!("{date} күнінен бастап сақталады"),
        Lang::Ru => format!("хранится с {date}"),
        Lang::En => format!("on file since {date}"),
    }
}

/// One purpose as the application lists it: its title and the clauses it comes from.
pub struct ListedPurpose {
    pub title: String,
    pub clauses: Vec<String>,
}

pub struct ApplicationFields<'a> {
    pub name: Option<&'a str>,
    pub subject: &'a str,
    pub edition: &'a str,
    pub date: CalendarDate,
    pub reference: &'a str,
    pub purposes: &'a [ListedPurpose],
    /// The Company's address from the configuration; without one, the application points to
    /// the address given in the User Agreement, as 2.6 does.
    pub address: Option<&'a str>,
    /// A withdrawn purpose is tied to the User Agreement: the 2.6 warning is acknowledged.
    pub agreement_at_stake: bool,
}

const BLANK: &str = "________________________";

/// The written application of 2.6, for the user to sign and send. Kazakh or Russian: the
/// languages the agreement is published in.
pub fn written_application(lang: Lang, f: &ApplicationFields<'_>) -> String {
    let name = f.name.unwrap_or(BLANK);
    let list = |clause_word: &dyn Fn(&str) -> String| {
        f.purposes
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let clauses = p.clauses.join(", ");
                if clauses.is_empty() {
                    format!("{}. {}", i + 1, p.title)
                } else {
                    format!("{}. {} ({})", i + 1, p.title, clause_word(&clauses))
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    match lang {
        Lang::Kk => format!(
            "{COMPANY} ЖШС\n{address}\n\n\
             Кімнен: {name}\nПайдаланушы идентификаторы: {subject}\n\n\
             ӨТІНІШ\nдербес деректерді жинауға және өңдеуге берілген келісімді кері қайтарып алу туралы\n\n\
             Құпиялылық саясатының ({edition} редакциясы) 2.6-тармағына сәйкес мынадай мақсаттар үшін \
             дербес деректерімді жинауға және өңдеуге берген келісімімді кері қайтарып аламын:\n{list}\n\n\
             {acknowledged}Күні: {date}\nҚолы: {BLANK}\nӨтініш нөмірі: {reference}\n",
            subject = f.subject,
            edition = f.edition,
            list = list(&|c| format!("{c}-тармақ")),
            address = f.address.unwrap_or("(Пайдаланушы келісімінде көрсетілген мекенжай)"),
            acknowledged = if f.agreement_at_stake {
                "Келісімді кері қайтарып алу Пайдаланушы келісімін тоқтата тұруға немесе \
                 тоқтатуға алып келуі мүмкін екені маған белгілі (2.6-тармақ).\n\n"
            } else {
                ""
            },
            date = f.date,
            reference = f.reference,
        ),
        Lang::Ru | Lang::En => format!(
            "ТОО {COMPANY}\n{address}\n\n\
             от {name}\nидентификатор пользователя: {subject}\n\n\
             ЗАЯВЛЕНИЕ\nоб отзыве согласия на сбор и обработку персональных данных\n\n\
             В соответствии с пунктом 2.6 Политики конфиденциальности (редакция {edition}) отзываю \
             своё согласие на сбор и обработку моих персональных данных в следующих целях:\n{list}\n\n\
             {acknowledged}Дата: {date}\nПодпись: {BLANK}\nНомер заявления: {reference}\n",
            subject = f.subject,
            edition = f.edition,
            list = list(&|c| format!("п. {c}")),
            address = f.address.unwrap_or("(адрес, указанный в Пользовательском соглашении)"),
            acknowledged = if f.agreement_at_stake {
                "Мне известно, что отзыв согласия может повлечь приостановление или прекращение \
                 Пользовательского соглашения (п. 2.6).\n\n"
            } else {
                ""
            },
            date = f.date,
            reference = f.reference,
        ),
    }
}

/// The language the application is written in: en has no published agreement, so Russian.
pub fn application_language(lang: Lang) -> Lang {
    lang.legal_fallbacks()[0]
}

/// Words of a receipt's readable text, per language.
struct ReceiptWords {
    title: &'static str,
    controller: &'static str,
    bin: &'static str,
    subject: &'static str,
    issued: &'static str,
    purposes: &'static str,
    granted: &'static str,
    refused: &'static str,
    necessary: &'static str,
    term: &'static str,
    recipients: &'static str,
    cross_border: &'static str,
    publication: &'static str,
    yes: &'static str,
    no: &'static str,
    notice: &'static str,
    withdrawal: &'static str,
    record: &'static str,
    check: &'static str,
}

fn receipt_words(lang: Lang) -> &'static ReceiptWords {
    match lang {
        Lang::Kk => &ReceiptWords {
            title: "Келісім туралы түбіртек",
            controller: "Оператор",
            bin: "БСН",
            subject: "Субъект",
            issued: "Берілген күні",
            purposes: "Мақсаттар",
            granted: "келісім берілді",
            refused: "бас тартылды",
            necessary: "Сервис үшін қажет (2.7-тармақ)",
            term: "Сақтау мерзімі: Пайдаланушы келісімінің мерзімі және ол тоқтатылғаннан кейін {years} жыл ішінде (2.5-тармақ)",
            recipients: "Алушылар",
            cross_border: "Трансшекаралық беру",
            publication: "Жариялау",
            yes: "иә",
            no: "жоқ",
            notice: "Құпиялылық саясаты: {edition} редакциясы, тілі: {lang}, SHA-256",
            withdrawal: "Келісімді кері қайтарып алу: Компанияға жазбаша өтініш (2.6-тармақ)",
            record: "Журнал жазбасы",
            check: "Тексеру: consent-server receipt verify <осы файл> --jwks <сервер>/v1/receipts/jwks.json",
        },
        Lang::Ru => &ReceiptWords {
            title: "Квитанция о согласии",
            controller: "Оператор",
            bin: "БИН",
            subject: "Субъект",
            issued: "Выдана",
            purposes: "Цели",
            granted: "согласие дано",
            refused: "отказано",
            necessary: "необходимо для сервиса (п. 2.7)",
            term: "Срок хранения: срок действия Пользовательского соглашения и {years} года после его прекращения (п. 2.5)",
            recipients: "Получатели",
            cross_border: "Трансграничная передача",
            publication: "Публикация",
            yes: "да",
            no: "нет",
            notice: "Политика конфиденциальности: редакция {edition}, язык {lang}, SHA-256",
            withdrawal: "Отзыв согласия: письменное заявление в Компанию (п. 2.6)",
            record: "Запись журнала",
            check: "Проверка: consent-server receipt verify <этот файл> --jwks <сервер>/v1/receipts/jwks.json",
        },
        Lang::En => &ReceiptWords {
            title: "Consent receipt",
            controller: "Controller",
            bin: "BIN",
            subject: "Subject",
            issued: "Issued",
            purposes: "Purposes",
            granted: "consent given",
            refused: "refused",
            necessary: "needed for the service (clause 2.7)",
            term: "Kept for: the User Agreement's term and {years} years after it ends (clause 2.5)",
            recipients: "Recipients",
            cross_border: "Cross-border transfer",
            publication: "Publication",
            yes: "yes",
            no: "no",
            notice: "Privacy policy: edition {edition}, language {lang}, SHA-256",
            withdrawal: "Withdrawal: a written application to the Company (clause 2.6)",
            record: "Ledger record",
            check: "Check: consent-server receipt verify <this file> --jwks <server>/v1/receipts/jwks.json",
        },
    }
}

/// What a signed receipt states, for a person to read, then the JWS itself.
pub fn receipt_text(
    lang: Lang,
    claims: &consent_core::receipt::ReceiptClaims,
    jws: &str,
) -> String {
    use consent_core::receipt::ConsentGiven;
    let w = receipt_words(lang);
    let yes_no = |b: bool| if b { w.yes } else { w.no };
    let c = &claims.controller;
    let mut controller = format!("{}: {}", w.controller, c.name);
    if let Some(bin) = &c.bin {
        controller += &format!(", {} {bin}", w.bin);
    }
    if let Some(contact) = &c.contact {
        controller += &format!(", {contact}");
    }
    let subject = claims.subject.name.as_deref().unwrap_or(&claims.subject.id);
    let issued = consent_core::Timestamp(claims.iat * 1000);
    let purposes: Vec<String> = claims
        .purposes
        .iter()
        .map(|p| {
            let state = match p.state {
                ConsentGiven::Granted => w.granted,
                ConsentGiven::Refused => w.refused,
                ConsentGiven::Necessary => w.necessary,
            };
            let title = consent_core::catalog::catalog()
                .purpose_by_id(p.id)
                .title
                .get(lang);
            format!("  - {title} ({}): {state}", p.clauses.join(", "))
        })
        .collect();
    let recipients: Vec<&str> = claims.third_parties.iter().map(|r| r.name(lang)).collect();
    let notice = w
        .notice
        .replace("{edition}", claims.notice.edition.as_str())
        .replace("{lang}", claims.notice.language.code());
    [
        format!("{} {}", w.title, claims.jti),
        controller,
        format!("{}: {subject}", w.subject),
        // As the user reads a time (Kazakhstan, UTC+5), and the instant itself.
        format!(
            "{}: {} (UTC+5; {issued})",
            w.issued,
            issued.kazakhstan_minute()
        ),
        format!("{}:\n{}", w.purposes, purposes.join("\n")),
        w.term
            .replace("{years}", &claims.term.years_after_agreement.to_string()),
        format!("{}: {}", w.recipients, recipients.join(", ")),
        format!(
            "{}: {}",
            w.cross_border,
            yes_no(claims.cross_border.granted)
        ),
        format!("{}: {}", w.publication, yes_no(claims.publication.granted)),
        format!("{notice} {}", claims.notice.sha256),
        w.withdrawal.to_owned(),
        format!(
            "{}: {} · {}",
            w.record, claims.record.seq, claims.record.hash
        ),
        String::new(),
        w.check.to_owned(),
        jws.to_owned(),
    ]
    .join("\n")
        + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn application(lang: Lang, address: Option<&str>, agreement_at_stake: bool) -> String {
        let purposes = [ListedPurpose {
            title: "Опросы".into(),
            clauses: vec!["2.2.6".into()],
        }];
        written_application(
            lang,
            &ApplicationFields {
                name: None,
                subject: "user:u-1",
                edition: "2026-11",
                date: CalendarDate::parse("2026-11-26").unwrap(),
                reference: "ref-1",
                purposes: &purposes,
                address,
                agreement_at_stake,
            },
        )
    }

    #[test]
    fn the_consequence_of_2_6_is_acknowledged_only_where_the_agreement_is_at_stake() {
        for lang in [Lang::Kk, Lang::Ru] {
            let tied = application(lang, None, true);
            let untied = application(lang, None, false);
            assert!(
                tied.contains("2.6") && tied.len() > untied.len() + 80,
                "{tied}"
            );
            assert!(
                !untied.contains("тоқтатуға") && !untied.contains("прекращение"),
                "{untied}"
            );
        }
    }

    #[test]
    fn the_configured_address_is_where_the_application_goes() {
        let text = application(Lang::Ru, Some("050000, Алматы, ул. Абая, 1"), false);
        assert!(
            text.starts_with("ТОО «AITU - Sauda»\n050000, Алматы, ул. Абая, 1\n"),
            "{text}"
        );
        let text = application(Lang::Kk, None, false);
        assert!(
            text.contains("(Пайдаланушы келісімінде көрсетілген мекенжай)"),
            "{text}"
        );
    }
}
