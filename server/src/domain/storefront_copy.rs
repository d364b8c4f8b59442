//! The storefront block's words in the shipped languages: the server's HTML (app proxy and
//! metafields) speaks the shop's language, and the widget the storefront's (the theme gives it
//! `request.locale`), from this same table — the widget receives it through the storefront
//! API (`storefrontCopy(locale)`), so the words live in one place.

use std::collections::BTreeMap;

/// One string: its key, then English, French, German, Spanish, Italian, Dutch, Portuguese.
type Row = (&'static str, [&'static str; 7]);

const ROWS: &[Row] = &[
    (
        "verified",
        [
            "Verified buyer",
            "Acheteur vérifié",
            "Verifizierter Kauf",
            "Compra verificada",
            "Acquisto verificato",
            "Geverifieerde koper",
            "Compra verificada",
        ],
    ),
    (
        "reward",
        [
            "Received a reward for reviewing",
            "A reçu une récompense pour son avis",
            "Hat für die Bewertung eine Belohnung erhalten",
            "Recibió una recompensa por su opinión",
            "Ha ricevuto un premio per la recensione",
            "Kreeg een beloning voor de review",
            "Recebeu uma recompensa pela avaliação",
        ],
    ),
    (
        "note_title",
        [
            "How we collect testimonials",
            "Comment nous recueillons les témoignages",
            "Wie wir Erfahrungsberichte sammeln",
            "Cómo recogemos los testimonios",
            "Come raccogliamo le testimonianze",
            "Hoe we reviews verzamelen",
            "Como recolhemos os testemunhos",
        ],
    ),
    (
        "note",
        [
            "After each order we invite the customer to record a short video about what they bought. Testimonials marked \"Verified buyer\" come from those invitations; each is checked by the shop before it is shown, whatever its rating. Testimonials marked \"Received a reward for reviewing\" were thanked with a discount, given to everyone who answered.",
            "Après chaque commande, nous invitons le client à filmer une courte vidéo sur son achat. Les témoignages marqués « Acheteur vérifié » viennent de ces invitations ; la boutique vérifie chacun avant de l'afficher, quelle que soit sa note. Ceux marqués « A reçu une récompense pour son avis » ont été remerciés par une réduction, offerte à tous ceux qui ont répondu.",
            "Nach jeder Bestellung laden wir den Kunden ein, ein kurzes Video über seinen Kauf aufzunehmen. Berichte mit „Verifizierter Kauf“ stammen aus diesen Einladungen; der Shop prüft jeden vor der Anzeige, unabhängig von der Bewertung. Berichte mit „Hat für die Bewertung eine Belohnung erhalten“ wurden mit einem Rabatt bedankt, den alle erhielten, die geantwortet haben.",
            "Tras cada pedido invitamos al cliente a grabar un vídeo corto sobre su compra. Los testimonios marcados como «Compra verificada» vienen de esas invitaciones; la tienda revisa cada uno antes de mostrarlo, sea cual sea su valoración. Los marcados como «Recibió una recompensa por su opinión» recibieron un descuento, dado a todos los que respondieron.",
            "Dopo ogni ordine invitiamo il cliente a registrare un breve video sul suo acquisto. Le testimonianze con «Acquisto verificato» nascono da questi inviti; il negozio controlla ciascuna prima di mostrarla, qualunque sia il voto. Quelle con «Ha ricevuto un premio per la recensione» sono state ringraziate con uno sconto, dato a chiunque abbia risposto.",
            "Na elke bestelling vragen we de klant een korte video over de aankoop op te nemen. Reviews met \"Geverifieerde koper\" komen uit die uitnodigingen; de winkel controleert elke review voordat hij verschijnt, ongeacht de beoordeling. Reviews met \"Kreeg een beloning voor de review\" zijn bedankt met een korting, die iedereen kreeg die reageerde.",
            "Após cada encomenda convidamos o cliente a gravar um vídeo curto sobre a compra. Os testemunhos marcados com «Compra verificada» vêm desses convites; a loja verifica cada um antes de o mostrar, seja qual for a avaliação. Os marcados com «Recebeu uma recompensa pela avaliação» foram agradecidos com um desconto, dado a todos os que responderam.",
        ],
    ),
    (
        "video_by",
        [
            "Video testimonial by {name}",
            "Témoignage vidéo de {name}",
            "Videobericht von {name}",
            "Testimonio en vídeo de {name}",
            "Testimonianza video di {name}",
            "Videoreview van {name}",
            "Testemunho em vídeo de {name}",
        ],
    ),
    (
        "rated",
        [
            "Rated {n} out of 5",
            "Noté {n} sur 5",
            "Mit {n} von 5 bewertet",
            "Valorado con {n} de 5",
            "Voto {n} su 5",
            "Beoordeeld met {n} van 5",
            "Avaliado com {n} de 5",
        ],
    ),
    (
        "count_one",
        [
            "{n} video testimonial",
            "{n} témoignage vidéo",
            "{n} Videobericht",
            "{n} testimonio en vídeo",
            "{n} testimonianza video",
            "{n} videoreview",
            "{n} testemunho em vídeo",
        ],
    ),
    (
        "count_many",
        [
            "{n} video testimonials",
            "{n} témoignages vidéo",
            "{n} Videoberichte",
            "{n} testimonios en vídeo",
            "{n} testimonianze video",
            "{n} videoreviews",
            "{n} testemunhos em vídeo",
        ],
    ),
    (
        "heading",
        [
            "What our customers say",
            "Ce que disent nos clients",
            "Was unsere Kunden sagen",
            "Lo que dicen nuestros clientes",
            "Cosa dicono i nostri clienti",
            "Wat onze klanten zeggen",
            "O que dizem os nossos clientes",
        ],
    ),
    (
        "play",
        [
            "Play: {label}",
            "Lire : {label}",
            "Abspielen: {label}",
            "Reproducir: {label}",
            "Riproduci: {label}",
            "Afspelen: {label}",
            "Reproduzir: {label}",
        ],
    ),
    (
        "previous",
        [
            "Previous testimonials",
            "Témoignages précédents",
            "Vorherige Berichte",
            "Testimonios anteriores",
            "Testimonianze precedenti",
            "Vorige reviews",
            "Testemunhos anteriores",
        ],
    ),
    (
        "next",
        [
            "Next testimonials",
            "Témoignages suivants",
            "Nächste Berichte",
            "Testimonios siguientes",
            "Testimonianze successive",
            "Volgende reviews",
            "Testemunhos seguintes",
        ],
    ),
];

/// The block's words in `locale` (a shipped one; English otherwise).
pub fn copy(locale: &str) -> BTreeMap<&'static str, &'static str> {
    let column = super::i18n::SHIPPED.iter().position(|l| *l == locale).unwrap_or(0);
    ROWS.iter().map(|(key, texts)| (*key, texts[column])).collect()
}

/// One string, with its `{name}` placeholders filled.
pub fn fill(text: &str, args: &[(&str, &str)]) -> String {
    args.iter().fold(text.to_owned(), |s, (name, value)| s.replace(&format!("{{{name}}}"), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_string_with_the_same_placeholders() {
        for (key, texts) in ROWS {
            let holes = |t: &str| t.matches('{').count();
            for t in texts {
                assert!(!t.trim().is_empty(), "{key}");
                assert_eq!(holes(t), holes(texts[0]), "{key}: {t}");
            }
        }
        assert_eq!(copy("de")["verified"], "Verifizierter Kauf");
        assert_eq!(copy("ja")["verified"], "Verified buyer");
        assert_eq!(fill(copy("fr")["video_by"], &[("name", "Ada L.")]), "Témoignage vidéo de Ada L.");
    }
}
