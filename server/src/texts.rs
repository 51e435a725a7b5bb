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
