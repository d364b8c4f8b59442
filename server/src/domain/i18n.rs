//! The languages Reelproof speaks to customers: which locales ship, how a customer's locale
//! chooses one, the words of the built-in messages, and dates written the local way.
//!
//! The message copy is plain text with template variables (`{{ shop_name }}`); the built-in
//! templates (`domain::templates`) put it into their HTML and text skeletons, so every language
//! gets the same layout and the same links. The capture page's words live in
//! `capture_copy`, beside these.

use chrono::{Datelike, NaiveDate};

/// The locales shipped, English first (the last fallback).
pub const SHIPPED: [&str; 7] = ["en", "fr", "de", "es", "it", "nl", "pt"];

/// The locales to try for a customer, best first: the customer's (`fr-CA`), its language
/// (`fr`), the shop's, then English, which always exists.
pub fn locale_chain(customer: Option<&str>, shop: &str) -> Vec<String> {
    let mut chain: Vec<String> = Vec::new();
    let mut push = |l: &str| {
        let l = l.trim().replace('_', "-");
        if !l.is_empty() && !chain.iter().any(|c| c.eq_ignore_ascii_case(&l)) {
            chain.push(l);
        }
    };
    for l in [customer, Some(shop)].into_iter().flatten() {
        push(l);
        if let Some((lang, _)) = l.split_once(['-', '_']) {
            push(lang);
        }
    }
    push("en");
    chain
}

/// The shipped locale to use for a chain of preferences (`locale_chain`): the first
/// whose language is shipped, else English.
pub fn shipped_for(chain: &[String]) -> &'static str {
    chain
        .iter()
        .find_map(|l| {
            let lang = l.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
            SHIPPED.iter().copied().find(|s| *s == lang)
        })
        .unwrap_or("en")
}

/// The shipped language for a customer of a shop: the customer's locale, then the shop's, then
/// English (`locale_chain`, then `shipped_for`).
pub fn language_for(customer: Option<&str>, shop: &str) -> &'static str {
    shipped_for(&locale_chain(customer, shop))
}

/// Text direction of a locale: right-to-left for the scripts that need it (a merchant may add
/// strings for them), left-to-right otherwise.
pub fn direction(locale: &str) -> &'static str {
    const RTL: [&str; 8] = ["ar", "he", "fa", "ur", "ps", "yi", "dv", "ku"];
    let lang = locale.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
    if RTL.contains(&lang.as_str()) { "rtl" } else { "ltr" }
}

/// A date as a customer of `locale` writes it ("22 December 2026", "22 décembre 2026").
pub fn long_date(date: NaiveDate, locale: &str) -> String {
    let (d, y) = (date.day(), date.year());
    let m = (date.month0()) as usize;
    match locale {
        "fr" => format!("{d} {} {y}", FR_MONTHS[m]),
        "de" => format!("{d}. {} {y}", DE_MONTHS[m]),
        "es" => format!("{d} de {} de {y}", ES_MONTHS[m]),
        "it" => format!("{d} {} {y}", IT_MONTHS[m]),
        "nl" => format!("{d} {} {y}", NL_MONTHS[m]),
        "pt" => format!("{d} de {} de {y}", PT_MONTHS[m]),
        _ => format!("{d} {} {y}", EN_MONTHS[m]),
    }
}

const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const FR_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const DE_MONTHS: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const ES_MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
const IT_MONTHS: [&str; 12] = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
];
const NL_MONTHS: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];
const PT_MONTHS: [&str; 12] = [
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
];

/// The words of the built-in request and reminder messages in one language. Each may use the
/// template variables; none may contain HTML (the skeleton adds it, so escaping stays whole).
#[derive(Debug, Clone, Copy)]
pub struct MessageCopy {
    pub subject: &'static str,
    pub greeting: &'static str,
    pub heading: &'static str,
    pub intro: &'static str,
    pub incentive: &'static str,
    pub button: &'static str,
    pub stars: &'static str,
    /// "{n} of 5" for a star's label; `{n}` is the star's number.
    pub star_label: &'static str,
    pub expiry: &'static str,
    pub postpone_question: &'static str,
    pub postpone_link: &'static str,
    pub unsubscribe_link: &'static str,
    pub unsubscribe_rest: &'static str,
    pub reminder_subject: &'static str,
    pub reminder_heading: &'static str,
    pub reminder_intro: &'static str,
    /// SMS bodies: GSM-7 characters only, so that one fits one segment with a short link.
    pub sms_request: &'static str,
    pub sms_reminder: &'static str,
    /// The thank-you email with the reward's code.
    pub reward_subject: &'static str,
    pub reward_intro: &'static str,
    pub reward_until: &'static str,
}

/// The copy for a shipped locale (English for any other).
pub fn message_copy(locale: &str) -> &'static MessageCopy {
    match locale {
        "fr" => &FR,
        "de" => &DE,
        "es" => &ES,
        "it" => &IT,
        "nl" => &NL,
        "pt" => &PT,
        _ => &EN,
    }
}

const EN: MessageCopy = MessageCopy {
    subject: "{{ customer_first_name }}, how do you like your {{ product_title }}?",
    greeting: "Hi {{ customer_first_name }},",
    heading: "How do you like your {{ product_title }}?",
    intro: "Thanks for shopping at {{ shop_name }}! A 30-second video from you helps other shoppers choose.",
    incentive: "As a thank-you: {{ incentive }}.",
    button: "Record a video",
    stars: "Or tap a star to rate it first:",
    star_label: "{n} of 5",
    expiry: "This link works until {{ expiry_date }}.",
    postpone_question: "Not arrived yet?",
    postpone_link: "Ask me again later",
    unsubscribe_link: "Unsubscribe",
    unsubscribe_rest: "from {{ shop_name }}'s review requests.",
    reminder_subject: "A quick reminder about your {{ product_title }}",
    reminder_heading: "A minute for your {{ product_title }}?",
    reminder_intro: "We'd still love to hear what you think. It takes 30 seconds.",
    sms_request: "{{ shop_name }}: how is your {{ product_title }}? Share a 30s video: {{ capture_link }}",
    sms_reminder: "{{ shop_name }}: a quick video about your {{ product_title }}? {{ capture_link }}",
    reward_subject: "Your thank-you from {{ shop_name }}",
    reward_intro: "Thank you for your testimonial! Here is your discount code:",
    reward_until: "Use it at checkout until {{ expiry_date }}. It works once.",
};

const FR: MessageCopy = MessageCopy {
    subject: "{{ customer_first_name }}, que pensez-vous de votre {{ product_title }} ?",
    greeting: "Bonjour {{ customer_first_name }},",
    heading: "Que pensez-vous de votre {{ product_title }} ?",
    intro: "Merci pour votre achat chez {{ shop_name }} ! Une vidéo de 30 secondes aide d'autres clients à choisir.",
    incentive: "Pour vous remercier : {{ incentive }}.",
    button: "Enregistrer une vidéo",
    stars: "Ou touchez une étoile pour noter d'abord :",
    star_label: "{n} sur 5",
    expiry: "Ce lien est valable jusqu'au {{ expiry_date }}.",
    postpone_question: "Pas encore reçu ?",
    postpone_link: "Redemandez-moi plus tard",
    unsubscribe_link: "Se désabonner",
    unsubscribe_rest: "des demandes d'avis de {{ shop_name }}.",
    reminder_subject: "Un petit rappel pour votre {{ product_title }}",
    reminder_heading: "Une minute pour votre {{ product_title }} ?",
    reminder_intro: "Nous aimerions toujours avoir votre avis. Cela prend 30 secondes.",
    sms_request: "{{ shop_name }} : que pensez-vous de votre {{ product_title }} ? Une vidéo de 30 s : {{ capture_link }}",
    sms_reminder: "{{ shop_name }} : une petite vidéo sur votre {{ product_title }} ? {{ capture_link }}",
    reward_subject: "Votre remerciement de {{ shop_name }}",
    reward_intro: "Merci pour votre témoignage ! Voici votre code de réduction :",
    reward_until: "Utilisez-le lors du paiement jusqu'au {{ expiry_date }}. Il est valable une fois.",
};

const DE: MessageCopy = MessageCopy {
    subject: "{{ customer_first_name }}, wie gefällt Ihnen {{ product_title }}?",
    greeting: "Hallo {{ customer_first_name }},",
    heading: "Wie gefällt Ihnen {{ product_title }}?",
    intro: "Danke für Ihren Einkauf bei {{ shop_name }}! Ein 30-Sekunden-Video von Ihnen hilft anderen bei der Wahl.",
    incentive: "Als Dankeschön: {{ incentive }}.",
    button: "Video aufnehmen",
    stars: "Oder tippen Sie zuerst auf einen Stern:",
    star_label: "{n} von 5",
    expiry: "Dieser Link gilt bis zum {{ expiry_date }}.",
    postpone_question: "Noch nicht angekommen?",
    postpone_link: "Später noch einmal fragen",
    unsubscribe_link: "Abmelden",
    unsubscribe_rest: "von den Bewertungsanfragen von {{ shop_name }}.",
    reminder_subject: "Eine kurze Erinnerung zu {{ product_title }}",
    reminder_heading: "Eine Minute für {{ product_title }}?",
    reminder_intro: "Wir würden uns immer noch über Ihre Meinung freuen. Es dauert 30 Sekunden.",
    sms_request: "{{ shop_name }}: Wie gefällt Ihnen {{ product_title }}? Ein Video von 30 s: {{ capture_link }}",
    sms_reminder: "{{ shop_name }}: Ein kurzes Video zu {{ product_title }}? {{ capture_link }}",
    reward_subject: "Ihr Dankeschön von {{ shop_name }}",
    reward_intro: "Danke für Ihr Feedback! Hier ist Ihr Rabattcode:",
    reward_until: "Lösen Sie ihn bis zum {{ expiry_date }} an der Kasse ein. Er gilt einmal.",
};

const ES: MessageCopy = MessageCopy {
    subject: "{{ customer_first_name }}, ¿qué te parece tu {{ product_title }}?",
    greeting: "Hola, {{ customer_first_name }}:",
    heading: "¿Qué te parece tu {{ product_title }}?",
    intro: "¡Gracias por comprar en {{ shop_name }}! Un vídeo tuyo de 30 segundos ayuda a otros clientes a elegir.",
    incentive: "Como agradecimiento: {{ incentive }}.",
    button: "Grabar un vídeo",
    stars: "O toca una estrella para valorarlo primero:",
    star_label: "{n} de 5",
    expiry: "Este enlace funciona hasta el {{ expiry_date }}.",
    postpone_question: "¿Aún no ha llegado?",
    postpone_link: "Pregúntame más tarde",
    unsubscribe_link: "Darse de baja",
    unsubscribe_rest: "de las solicitudes de opiniones de {{ shop_name }}.",
    reminder_subject: "Un breve recordatorio sobre tu {{ product_title }}",
    reminder_heading: "¿Un minuto para tu {{ product_title }}?",
    reminder_intro: "Nos encantaría conocer tu opinión. Solo lleva 30 segundos.",
    // "video", not "vídeo": í is outside GSM-7 and would make the SMS three times as costly.
    sms_request: "{{ shop_name }}: ¿que tal tu {{ product_title }}? Graba un video de 30 s: {{ capture_link }}",
    sms_reminder: "{{ shop_name }}: ¿un video rapido sobre tu {{ product_title }}? {{ capture_link }}",
    reward_subject: "Tu agradecimiento de {{ shop_name }}",
    reward_intro: "¡Gracias por tu testimonio! Aquí tienes tu código de descuento:",
    reward_until: "Úsalo al pagar hasta el {{ expiry_date }}. Vale para una compra.",
};

const IT: MessageCopy = MessageCopy {
    subject: "{{ customer_first_name }}, come ti trovi con {{ product_title }}?",
    greeting: "Ciao {{ customer_first_name }},",
    heading: "Come ti trovi con {{ product_title }}?",
    intro: "Grazie per aver acquistato da {{ shop_name }}! Un tuo video di 30 secondi aiuta altri clienti a scegliere.",
    incentive: "Per ringraziarti: {{ incentive }}.",
    button: "Registra un video",
    stars: "Oppure tocca una stella per dare prima un voto:",
    star_label: "{n} su 5",
    expiry: "Questo link è valido fino al {{ expiry_date }}.",
    postpone_question: "Non è ancora arrivato?",
    postpone_link: "Chiedimelo più tardi",
    unsubscribe_link: "Annulla l'iscrizione",
    unsubscribe_rest: "alle richieste di recensione di {{ shop_name }}.",
    reminder_subject: "Un breve promemoria su {{ product_title }}",
    reminder_heading: "Un minuto per {{ product_title }}?",
    reminder_intro: "Ci piacerebbe ancora sapere cosa ne pensi. Bastano 30 secondi.",
    sms_request: "{{ shop_name }}: come ti trovi con {{ product_title }}? Un video di 30 s: {{ capture_link }}",
    sms_reminder: "{{ shop_name }}: un breve video su {{ product_title }}? {{ capture_link }}",
    reward_subject: "Il tuo ringraziamento da {{ shop_name }}",
    reward_intro: "Grazie per la tua testimonianza! Ecco il tuo codice sconto:",
    reward_until: "Usalo al momento del pagamento entro il {{ expiry_date }}. Vale una volta.",
};

const NL: MessageCopy = MessageCopy {
    subject: "{{ customer_first_name }}, hoe bevalt je {{ product_title }}?",
    greeting: "Hoi {{ customer_first_name }},",
    heading: "Hoe bevalt je {{ product_title }}?",
    intro: "Bedankt voor je aankoop bij {{ shop_name }}! Een video van 30 seconden helpt andere klanten kiezen.",
    incentive: "Als bedankje: {{ incentive }}.",
    button: "Neem een video op",
    stars: "Of tik eerst op een ster om te beoordelen:",
    star_label: "{n} van 5",
    expiry: "Deze link werkt tot {{ expiry_date }}.",
    postpone_question: "Nog niet ontvangen?",
    postpone_link: "Vraag het me later nog eens",
    unsubscribe_link: "Afmelden",
    unsubscribe_rest: "voor reviewverzoeken van {{ shop_name }}.",
    reminder_subject: "Een korte herinnering over je {{ product_title }}",
    reminder_heading: "Een minuutje voor je {{ product_title }}?",
    reminder_intro: "We horen nog steeds graag wat je ervan vindt. Het duurt 30 seconden.",
    sms_request: "{{ shop_name }}: hoe bevalt je {{ product_title }}? Deel een video van 30 s: {{ capture_link }}",
    sms_reminder: "{{ shop_name }}: een korte video over je {{ product_title }}? {{ capture_link }}",
    reward_subject: "Je bedankje van {{ shop_name }}",
    reward_intro: "Bedankt voor je review! Hier is je kortingscode:",
    reward_until: "Gebruik hem bij het afrekenen tot {{ expiry_date }}. Hij werkt één keer.",
};

const PT: MessageCopy = MessageCopy {
    subject: "{{ customer_first_name }}, o que achou do seu {{ product_title }}?",
    greeting: "Olá, {{ customer_first_name }},",
    heading: "O que achou do seu {{ product_title }}?",
    intro: "Obrigado por comprar na {{ shop_name }}! Um vídeo seu de 30 segundos ajuda outros clientes a escolher.",
    incentive: "Como agradecimento: {{ incentive }}.",
    button: "Gravar um vídeo",
    stars: "Ou toque numa estrela para avaliar primeiro:",
    star_label: "{n} de 5",
    expiry: "Este link funciona até {{ expiry_date }}.",
    postpone_question: "Ainda não chegou?",
    postpone_link: "Pergunte-me mais tarde",
    unsubscribe_link: "Cancelar a inscrição",
    unsubscribe_rest: "dos pedidos de avaliação da {{ shop_name }}.",
    reminder_subject: "Um lembrete rápido sobre o seu {{ product_title }}",
    reminder_heading: "Um minuto para o seu {{ product_title }}?",
    reminder_intro: "Ainda gostaríamos de saber a sua opinião. Leva 30 segundos.",
    // Plain ASCII: ã and í are outside GSM-7.
    sms_request: "{{ shop_name }}: o que achou do seu {{ product_title }}? Mostre-nos em 30 segundos: {{ capture_link }}",
    sms_reminder: "{{ shop_name }}: 30 segundos sobre o seu {{ product_title }}? {{ capture_link }}",
    reward_subject: "O seu agradecimento da {{ shop_name }}",
    reward_intro: "Obrigado pelo seu testemunho! Aqui está o seu código de desconto:",
    reward_until: "Use-o no checkout até {{ expiry_date }}. É válido uma vez.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_chain_falls_back_from_region_to_language_to_shop_to_english() {
        assert_eq!(locale_chain(Some("fr-CA"), "de"), ["fr-CA", "fr", "de", "en"]);
        assert_eq!(locale_chain(Some("fr_CA"), "en"), ["fr-CA", "fr", "en"]);
        assert_eq!(locale_chain(None, "de-AT"), ["de-AT", "de", "en"]);
        assert_eq!(locale_chain(Some(""), "en"), ["en"]);
        assert_eq!(locale_chain(Some("EN"), "en"), ["EN"]);
    }

    #[test]
    fn a_customer_locale_picks_the_shipped_language_then_english() {
        let chain = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(shipped_for(&chain(&["fr-CA", "fr", "en"])), "fr");
        assert_eq!(shipped_for(&chain(&["pt_BR", "de", "en"])), "pt");
        assert_eq!(shipped_for(&chain(&["ja", "de", "en"])), "de", "an unshipped language falls to the shop's");
        assert_eq!(shipped_for(&chain(&["ja", "ko"])), "en");
    }

    #[test]
    fn dates_read_the_local_way() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 22).unwrap();
        assert_eq!(long_date(d, "en"), "22 December 2026");
        assert_eq!(long_date(d, "fr"), "22 décembre 2026");
        assert_eq!(long_date(d, "de"), "22. Dezember 2026");
        assert_eq!(long_date(d, "es"), "22 de diciembre de 2026");
        assert_eq!(long_date(d, "xx"), "22 December 2026");
    }

    #[test]
    fn right_to_left_scripts_are_told_apart() {
        assert_eq!(direction("ar-EG"), "rtl");
        assert_eq!(direction("he"), "rtl");
        assert_eq!(direction("fr"), "ltr");
    }

    #[test]
    fn no_copy_carries_markup() {
        for l in SHIPPED {
            let c = message_copy(l);
            for s in [c.subject, c.heading, c.intro, c.button, c.stars, c.expiry, c.unsubscribe_rest, c.sms_request] {
                assert!(!s.contains('<') && !s.contains('>'), "{l}: {s}");
            }
        }
    }
}
