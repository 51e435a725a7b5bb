//! The widget's own words in kk, ru and en. Legal text is not here: it comes from the policy,
//! word for word as published.
//!
//! They are data shared by both sides: the prerendered banner is rendered with them at build
//! time, and the server serves one language of them (`GET /v1/texts`), so that the wasm every
//! visitor downloads carries none of them: a visitor fetches only the language they read.

#[cfg(any(not(target_arch = "wasm32"), feature = "shipped"))]
use crate::lang::Lang;
use std::fmt;

/// A word the served texts lack: the widget says which instead of showing a blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingWord(pub &'static str);

impl fmt::Display for MissingWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the widget's texts have no `{}`", self.0)
    }
}

macro_rules! words {
    ($($(#[$doc:meta])* $field:ident,)*) => {
        /// Every word of the widget in one language, each a field, so a missing one is a
        /// compile error here and a [`MissingWord`] when read from the server.
        #[derive(Debug, PartialEq, Eq)]
        pub struct Texts {
            $($(#[$doc])* pub $field: &'static str,)*
        }

        impl Texts {
            /// Every word with its key, in the order declared: what `GET /v1/texts` serves.
            pub fn entries(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
                [$((stringify!($field), self.$field)),*].into_iter()
            }

            /// Reads every word by its key, as [`Texts::entries`] named them: in one loop over
            /// the keys, so that the widget's code does not grow by a call per word.
            pub fn read(
                mut word: impl FnMut(&'static str) -> Option<&'static str>,
            ) -> Result<Texts, MissingWord> {
                const KEYS: &[&str] = &[$(stringify!($field)),*];
                let mut words = [""; KEYS.len()];
                for (slot, key) in words.iter_mut().zip(KEYS) {
                    *slot = word(key).ok_or(MissingWord(key))?;
                }
                let [$($field),*] = words;
                Ok(Texts { $($field),* })
            }
        }
    };
}

words! {
    banner_title,
    banner_body,
    read_policy,
    accept_all,
    refuse_optional,
    choose,
    choices_title,
    choices_intro,
    /// The collapsed group of necessary purposes; `{n}` is how many.
    always_on,
    necessary_reason,
    /// A clause's number in its language's word order: `{n}`.
    clause,
    save,
    refuse_all,
    close,
    back,
    saved,
    saved_offline,
    saved_server_busy,
    saved_until_signed_in,
    widget_unavailable,
    policy_title,
    contents,
    loading,
    load_failed,
    retry,
    published_in_other_language,
    /// `{edition}` and its publication `{date}`.
    edition_line,
    update_title,
    update_body,
    accept,
    read_new_text,
    /// Said at once when saved switches withdraw consent (2.6); `{purposes}` names them.
    withdrawn_now,
    application_button,
    send_to,
    application_title,
    application_intro,
    copy,
    copied,
    download,
    print,
    my_data,
    my_data_title,
    sign_in_to_see,
    held,
    not_held,
    source,
    used_for,
    recipients,
    stored_where,
    kept_how_long,
    history,
    /// One line per kind of ledger record in the history: answered, carried from a device,
    /// edition accepted, withdrawn, data updated by the company, records looked at by staff.
    /// Before the purposes turned on, then those turned off, in one line.
    history_turned_on,
    history_turned_off,
    history_carried,
    /// `{edition}` accepted with the button, or by continuing to use the service (1.6).
    history_accepted_button,
    history_accepted_deemed,
    history_withdrawn,
    history_data_updated,
    history_staff_access,
    download_export,
    download_receipt,
    what_changed,
    /// The title of "what changed" since edition `{from}`.
    changes_title,
    clause_added,
    clause_removed,
    clause_changed,
    language,
    settings,
    gpc_honoured,
    error_prefix,
    /// After the server refused saved choices for good.
    choose_again,
    /// Where held data came from: the user, the company, third parties, open sources.
    source_user,
    source_company,
    source_third_party,
    source_open_source,
}

/// The words as this build ships them. Not in the widget's wasm: it reads one language from the
/// server (or, in its tests, asks for them with the `shipped` feature).
#[cfg(any(not(target_arch = "wasm32"), feature = "shipped"))]
pub fn shipped(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Kk => &KK,
        Lang::Ru => &RU,
        Lang::En => &EN,
    }
}

/// What `GET /v1/texts?lang=` serves: the words of `lang` as one JSON object, by key.
#[cfg(not(target_arch = "wasm32"))]
pub fn served_json(lang: Lang) -> String {
    let words: serde_json::Map<String, serde_json::Value> = shipped(lang)
        .entries()
        .map(|(key, word)| (key.to_owned(), word.into()))
        .collect();
    serde_json::to_string(&words).expect("a map of strings serialises")
}

#[cfg(any(not(target_arch = "wasm32"), feature = "shipped"))]
static KK: Texts = Texts {
    banner_title: "Біз сіздің деректеріңізді қалай пайдаланамыз",
    banner_body: "dosmart.kz Сервисті ұсыну үшін IP мекенжайын, cookies файлдарын, байланыс деректерін және тапсырыстар туралы мәліметтерді өңдейді. Жарнама, конкурстар, сауалнамалар мен зерттеулер үшін деректер тек сіздің келісіміңізбен өңделеді.",
    read_policy: "Құпиялылық саясаты",
    accept_all: "Барлығын қабылдау",
    refuse_optional: "Міндетті емес мақсаттардан бас тарту",
    choose: "Таңдау",
    choices_title: "Келісім баптаулары",
    choices_intro: "Әр мақсатты бөлек қосыңыз немесе өшіріңіз. Міндетті емес мақсаттар сіз қоспайынша өшірулі тұрады.",
    always_on: "Әрқашан қосулы ({n})",
    necessary_reason: "Сервис үшін қажет: бұл заңнамаға қайшы келсе немесе сіздің Компания алдында орындалмаған міндеттемеңіз болса, келісімді кері қайтарып алу мүмкін емес (2.7-тармақ).",
    clause: "{n}-тармақ",
    save: "Сақтау",
    refuse_all: "Барлығынан бас тарту",
    close: "Жабу",
    back: "Артқа",
    saved: "Таңдауыңыз сақталды.",
    saved_offline: "Байланыс жоқ: таңдауыңыз осы құрылғыда сақталды және желі қалпына келгенде жіберіледі.",
    saved_server_busy: "Сервер қазір таңдауыңызды қабылдай алмайды: ол осы құрылғыда сақталды және сәлден соң жіберіледі.",
    widget_unavailable: "Құпиялылық баптауларын осы бетте ашу мүмкін болмады. Бұрынғы таңдауыңыз күшінде қалады.",
    saved_until_signed_in: "Сервиске кіру мерзіміңіз аяқталды: таңдауыңыз осы құрылғыда сақталды және Сервиске қайта кіргеннен кейін жіберіледі.",
    policy_title: "Құпиялылық саясаты",
    contents: "Мазмұны",
    loading: "Жүктелуде…",
    load_failed: "Мәтінді жүктеу мүмкін болмады.",
    retry: "Қайталау",
    published_in_other_language: "",
    edition_line: "{edition} редакциясы · жарияланған күні: {date}",
    update_title: "Құпиялылық саясатының жаңа редакциясы",
    update_body: "Саясат өзгерді. Қабылдау батырмасын басыңыз; әйтпесе {date} күнінен бастап Сервисті пайдалануды жалғастыру жаңа редакцияны қабылдау болып есептеледі (1.6-тармақ).",
    accept: "Қабылдау",
    read_new_text: "Жаңа мәтінді оқу",
    withdrawn_now: "«{purposes}» үшін келісім кері қайтарылды. Бұл қазірден бастап қолданылады: бұл мақсатта деректеріңіз енді өңделмейді (2.6-тармақ).",
    application_button: "Жазбаша өтініш (дәлел)",
    send_to: "Жіберу мекенжайы",
    application_title: "Жазбаша өтініш",
    application_intro: "Келісім кері қайтарылды және қазірден бастап қолданылады. Бұл өтініш соның дәлелі: оған қол қойып, оны Компанияның мекенжайына жіберіңіз (2.6-тармақ).",
    copy: "Көшіру",
    copied: "Көшірілді",
    download: "Жүктеп алу (.txt)",
    print: "Басып шығару",
    my_data: "Менің деректерім",
    my_data_title: "Сіз туралы сақталған деректер",
    sign_in_to_see: "Біз сіз туралы қандай деректерді, не үшін және қанша уақыт сақтайтынымызды көру үшін жүйеге кіріңіз.",
    held: "Сақталған",
    not_held: "Сақталмаған",
    source: "Дереккөзі",
    used_for: "Мақсаттары",
    recipients: "Алушылар",
    stored_where: "Қайда сақталады",
    kept_how_long: "Қанша уақыт",
    history: "Келісімдер тарихы",
    history_turned_on: "Қостыңыз",
    history_turned_off: "Өшірдіңіз",
    history_carried: "Құрылғыдағы таңдауыңыз аккаунтқа көшірілді",
    history_accepted_button: "Саясаттың {edition} редакциясын батырмамен қабылдадыңыз",
    history_accepted_deemed: "Саясаттың {edition} редакциясы Сервисті пайдалануды жалғастыру арқылы қабылданды (1.6-тармақ)",
    history_withdrawn: "Келісімді кері қайтардыңыз",
    history_data_updated: "Компания деректерді жаңартты",
    history_staff_access: "Қызметкер жазбаларыңызды қарады",
    download_export: "Барлығын JSON түрінде жүктеп алу",
    download_receipt: "Түбіртекті жүктеп алу",
    what_changed: "Не өзгерді",
    changes_title: "{from} редакциясынан бері не өзгерді",
    clause_added: "жаңа тармақ",
    clause_removed: "алынып тасталды",
    clause_changed: "өзгертілді",
    language: "Тіл",
    settings: "Құпиялылық баптаулары",
    gpc_honoured: "Браузеріңіз Global Privacy Control сигналын жібереді: жарнама мен таргеттеу өшірілді.",
    error_prefix: "Қате",
    choose_again: "Таңдауыңыз сақталмады, қайта таңдаңыз",
    source_user: "Өзіңіз",
    source_company: "Компания",
    source_third_party: "Үшінші тұлғалар",
    source_open_source: "Ашық дереккөздер",
};

#[cfg(any(not(target_arch = "wasm32"), feature = "shipped"))]
static RU: Texts = Texts {
    banner_title: "Как мы используем ваши данные",
    banner_body: "Для работы сервиса dosmart.kz обрабатывает IP-адрес, cookies, контактные данные и сведения о заказах. Для рекламы, конкурсов, опросов и исследований — только с вашего согласия.",
    read_policy: "Политика конфиденциальности",
    accept_all: "Принять все",
    refuse_optional: "Отказаться от необязательных",
    choose: "Выбрать",
    choices_title: "Настройки согласия",
    choices_intro: "Включайте и выключайте каждую цель отдельно. Необязательные цели выключены, пока вы их не включите.",
    always_on: "Всегда включены ({n})",
    necessary_reason: "Нужно для работы сервиса: согласие нельзя отозвать, если это противоречит закону или есть неисполненное обязательство перед Компанией (п. 2.7).",
    clause: "Пункт {n}",
    save: "Сохранить",
    refuse_all: "Отказаться от всех",
    close: "Закрыть",
    back: "Назад",
    saved: "Ваш выбор сохранён.",
    saved_offline: "Нет связи: выбор сохранён на этом устройстве и будет отправлен, когда сеть вернётся.",
    saved_server_busy: "Сервер сейчас не может принять ваш выбор: он сохранён на этом устройстве и будет отправлен чуть позже.",
    widget_unavailable: "Настройки конфиденциальности не удалось открыть на этой странице. Ваш прежний выбор по-прежнему действует.",
    saved_until_signed_in: "Срок вашего входа в Сервис истёк: ваш выбор сохранён на этом устройстве и будет отправлен, когда вы снова войдёте.",
    policy_title: "Политика конфиденциальности",
    contents: "Содержание",
    loading: "Загрузка…",
    load_failed: "Не удалось загрузить текст.",
    retry: "Повторить",
    published_in_other_language: "",
    edition_line: "Редакция {edition} · опубликована {date}",
    update_title: "Новая редакция Политики конфиденциальности",
    update_body: "Политика изменилась. Нажмите «Принять»; иначе продолжение пользования сервисом с {date} будет означать принятие новой редакции (п. 1.6).",
    accept: "Принять",
    read_new_text: "Читать новый текст",
    withdrawn_now: "Согласие отозвано: «{purposes}». Это действует уже сейчас: для этой цели ваши данные больше не обрабатываются (п. 2.6).",
    application_button: "Письменное заявление (подтверждение)",
    send_to: "Куда направить",
    application_title: "Письменное заявление",
    application_intro: "Отзыв согласия уже действует. Это заявление — его подтверждение: подпишите его и направьте по адресу Компании (п. 2.6).",
    copy: "Копировать",
    copied: "Скопировано",
    download: "Скачать (.txt)",
    print: "Печать",
    my_data: "Мои данные",
    my_data_title: "Какие данные о вас хранятся",
    sign_in_to_see: "Войдите, чтобы увидеть, какие данные о вас хранятся, для чего и как долго.",
    held: "Хранится",
    not_held: "Не хранится",
    source: "Источник",
    used_for: "Цели",
    recipients: "Получатели",
    stored_where: "Где хранятся",
    kept_how_long: "Как долго",
    history: "История согласий",
    history_turned_on: "Вы включили",
    history_turned_off: "Вы выключили",
    history_carried: "Выбор на устройстве перенесён в аккаунт",
    history_accepted_button: "Вы приняли редакцию политики {edition} кнопкой",
    history_accepted_deemed: "Редакция политики {edition} принята продолжением пользования сервисом (п. 1.6)",
    history_withdrawn: "Вы отозвали согласие",
    history_data_updated: "Компания обновила данные",
    history_staff_access: "Сотрудник просмотрел ваши записи",
    download_export: "Скачать всё в JSON",
    download_receipt: "Скачать квитанцию",
    what_changed: "Что изменилось",
    changes_title: "Что изменилось с редакции {from}",
    clause_added: "новый пункт",
    clause_removed: "исключён",
    clause_changed: "изменён",
    language: "Язык",
    settings: "Настройки конфиденциальности",
    gpc_honoured: "Ваш браузер передаёт сигнал Global Privacy Control: реклама и таргетинг отключены.",
    error_prefix: "Ошибка",
    choose_again: "Выбор не сохранён, выберите ещё раз",
    source_user: "Вы сами",
    source_company: "Компания",
    source_third_party: "Третьи лица",
    source_open_source: "Открытые источники",
};

#[cfg(any(not(target_arch = "wasm32"), feature = "shipped"))]
static EN: Texts = Texts {
    banner_title: "How we use your data",
    banner_body: "To run the service, dosmart.kz processes your IP address, cookies, contact details and orders. For advertising, contests, surveys and research, only with your consent.",
    read_policy: "Privacy policy",
    accept_all: "Accept all",
    refuse_optional: "Refuse optional",
    choose: "Choose",
    choices_title: "Consent settings",
    choices_intro: "Turn each purpose on or off separately. Optional purposes stay off until you turn them on.",
    always_on: "Always on ({n})",
    necessary_reason: "Needed for the service: consent cannot be withdrawn where that is against the law or while an obligation to the Company is open (clause 2.7).",
    clause: "Clause {n}",
    save: "Save",
    refuse_all: "Refuse all",
    close: "Close",
    back: "Back",
    saved: "Your choices are saved.",
    saved_offline: "No connection: your choices are kept on this device and will be sent when the network is back.",
    saved_server_busy: "The server cannot take your choices just now: they are kept on this device and will be sent shortly.",
    widget_unavailable: "The privacy settings could not open on this page. Your choices so far still apply.",
    saved_until_signed_in: "Your sign-in has expired: your choices are kept on this device and will be sent once you sign in again.",
    policy_title: "Privacy policy",
    contents: "Contents",
    loading: "Loading…",
    load_failed: "The text could not be loaded.",
    retry: "Try again",
    published_in_other_language: "The policy is published in Kazakh and Russian only; the Russian text is shown.",
    edition_line: "Edition {edition} · published {date}",
    update_title: "A new edition of the privacy policy",
    update_body: "The policy has changed. Press Accept; otherwise, using the service from {date} on counts as accepting the new edition (clause 1.6).",
    accept: "Accept",
    read_new_text: "Read the new text",
    withdrawn_now: "Consent withdrawn: “{purposes}”. This applies from now on: your data is no longer processed for it (clause 2.6).",
    application_button: "Written application (proof)",
    send_to: "Send to",
    application_title: "Written application",
    application_intro: "The withdrawal already applies. This application is your proof of it: sign it and send it to the Company's address (clause 2.6).",
    copy: "Copy",
    copied: "Copied",
    download: "Download (.txt)",
    print: "Print",
    my_data: "My data",
    my_data_title: "What we hold about you",
    sign_in_to_see: "Sign in to see what data we hold about you, what for and for how long.",
    held: "Held",
    not_held: "Not held",
    source: "Source",
    used_for: "Purposes",
    recipients: "Recipients",
    stored_where: "Where it is kept",
    kept_how_long: "How long",
    history: "Consent history",
    history_turned_on: "You turned on",
    history_turned_off: "You turned off",
    history_carried: "Choices made on a device carried to your account",
    history_accepted_button: "You accepted edition {edition} of the policy with the button",
    history_accepted_deemed: "Edition {edition} of the policy accepted by continuing to use the service (clause 1.6)",
    history_withdrawn: "You withdrew consent",
    history_data_updated: "The company updated your data",
    history_staff_access: "Staff looked at your records",
    download_export: "Download everything as JSON",
    download_receipt: "Download receipt",
    what_changed: "What changed",
    changes_title: "What changed since edition {from}",
    clause_added: "new clause",
    clause_removed: "removed",
    clause_changed: "changed",
    language: "Language",
    settings: "Privacy settings",
    gpc_honoured: "Your browser sends the Global Privacy Control signal: advertising and targeting are off.",
    error_prefix: "Error",
    choose_again: "Your choice was not saved; please choose again",
    source_user: "You",
    source_company: "The company",
    source_third_party: "Third parties",
    source_open_source: "Open sources",
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn every_language_reads_back_from_its_served_words() {
        for lang in Lang::ALL {
            let served: BTreeMap<_, _> = shipped(lang).entries().collect();
            let read = Texts::read(|key| served.get(key).copied()).unwrap();
            assert_eq!(&read, shipped(lang), "{lang:?}");
        }
    }

    #[test]
    fn a_missing_word_is_named() {
        let served: BTreeMap<_, _> = shipped(Lang::Ru)
            .entries()
            .filter(|(key, _)| *key != "save")
            .collect();
        let err = Texts::read(|key| served.get(key).copied()).unwrap_err();
        assert_eq!(err.to_string(), "the widget's texts have no `save`");
    }

    #[test]
    fn kazakh_words_use_cyrillic_schwa() {
        for (key, word) in shipped(Lang::Kk).entries() {
            assert!(
                !word.contains('\u{0259}'),
                "{key} has a Latin schwa: {word}"
            );
        }
    }
}
