//! The capture page's words in the shipped languages (`i18n::SHIPPED`). The server picks the
//! language for the request (the order's `customer_locale`, then the shop's language, then
//! English), merges the merchant's own wording for it over ours, and hands the page the result
//! with its `lang` and `dir`; the page itself carries no copy of its own.
//!
//! `{n}`-style placeholders are filled in by the page (`{seconds}`, `{size}`, `{limit}`…).

use std::collections::BTreeMap;

/// One string: its key, then English, French, German, Spanish, Italian, Dutch, Portuguese.
type Row = (&'static str, [&'static str; 7]);

const ROWS: &[Row] = &[
    // Our default campaign prompt and consent, for campaigns that kept them (`campaign::DEFAULT_*`).
    (
        "campaign.prompt",
        [
            "How are you enjoying it? Tell others in 30 seconds.",
            "Qu'en pensez-vous ? Dites-le aux autres en 30 secondes.",
            "Wie gefällt es Ihnen? Erzählen Sie es anderen in 30 Sekunden.",
            "¿Qué te parece? Cuéntaselo a otros en 30 segundos.",
            "Come ti trovi? Raccontalo agli altri in 30 secondi.",
            "Hoe bevalt het? Vertel het anderen in 30 seconden.",
            "Está a gostar? Conte aos outros em 30 segundos.",
        ],
    ),
    (
        "campaign.consent",
        [
            "I agree that the store may publish my video, first name, last initial and rating on its website.",
            "J'accepte que la boutique publie ma vidéo, mon prénom, l'initiale de mon nom et ma note sur son site.",
            "Ich bin einverstanden, dass der Shop mein Video, meinen Vornamen, den Anfangsbuchstaben meines Nachnamens und meine Bewertung auf seiner Website veröffentlicht.",
            "Acepto que la tienda publique mi vídeo, mi nombre, la inicial de mi apellido y mi valoración en su web.",
            "Accetto che il negozio pubblichi sul suo sito il mio video, il mio nome, l'iniziale del cognome e il mio voto.",
            "Ik ga akkoord dat de winkel mijn video, voornaam, eerste letter van mijn achternaam en beoordeling op zijn website publiceert.",
            "Aceito que a loja publique no seu site o meu vídeo, o meu nome, a inicial do apelido e a minha avaliação.",
        ],
    ),
    (
        "expired.title",
        [
            "This link has expired",
            "Ce lien a expiré",
            "Dieser Link ist abgelaufen",
            "Este enlace ha caducado",
            "Questo link è scaduto",
            "Deze link is verlopen",
            "Este link expirou",
        ],
    ),
    (
        "expired.body",
        [
            "It can no longer be used. Thank you for thinking of us all the same.",
            "Il ne peut plus être utilisé. Merci d'avoir pensé à nous.",
            "Er kann nicht mehr verwendet werden. Danke, dass Sie an uns gedacht haben.",
            "Ya no se puede usar. Gracias por acordarte de nosotros.",
            "Non può più essere usato. Grazie comunque per aver pensato a noi.",
            "Hij kan niet meer worden gebruikt. Bedankt dat je aan ons dacht.",
            "Já não pode ser usado. Obrigado por se lembrar de nós.",
        ],
    ),
    (
        "already.title",
        [
            "Thank you, we have your testimonial",
            "Merci, nous avons votre témoignage",
            "Danke, wir haben Ihr Feedback",
            "Gracias, ya tenemos tu testimonio",
            "Grazie, abbiamo la tua testimonianza",
            "Bedankt, we hebben je review",
            "Obrigado, já temos o seu testemunho",
        ],
    ),
    (
        "already.body",
        [
            "A testimonial was already sent with this link.",
            "Un témoignage a déjà été envoyé avec ce lien.",
            "Mit diesem Link wurde bereits ein Feedback gesendet.",
            "Ya se envió un testimonio con este enlace.",
            "Con questo link è già stata inviata una testimonianza.",
            "Met deze link is al een review verstuurd.",
            "Já foi enviado um testemunho com este link.",
        ],
    ),
    (
        "busy.title",
        [
            "Too many tries",
            "Trop de tentatives",
            "Zu viele Versuche",
            "Demasiados intentos",
            "Troppi tentativi",
            "Te veel pogingen",
            "Demasiadas tentativas",
        ],
    ),
    (
        "busy.body",
        [
            "Please wait a minute and reload the page.",
            "Patientez une minute puis rechargez la page.",
            "Bitte warten Sie eine Minute und laden Sie die Seite neu.",
            "Espera un minuto y vuelve a cargar la página.",
            "Attendi un minuto e ricarica la pagina.",
            "Wacht een minuut en laad de pagina opnieuw.",
            "Aguarde um minuto e recarregue a página.",
        ],
    ),
    (
        "error.title",
        [
            "Something went wrong",
            "Un problème est survenu",
            "Etwas ist schiefgelaufen",
            "Algo ha fallado",
            "Qualcosa è andato storto",
            "Er ging iets mis",
            "Algo correu mal",
        ],
    ),
    ("loading", ["Loading…", "Chargement…", "Wird geladen…", "Cargando…", "Caricamento…", "Laden…", "A carregar…"]),
    (
        "heading",
        [
            "Your {product}",
            "Votre {product}",
            "Ihr {product}",
            "Tu {product}",
            "Il tuo {product}",
            "Je {product}",
            "O seu {product}",
        ],
    ),
    (
        "choose.limit",
        [
            "Up to {seconds} seconds. You can watch it before sending.",
            "Jusqu'à {seconds} secondes. Vous pourrez la revoir avant l'envoi.",
            "Bis zu {seconds} Sekunden. Sie können es vor dem Senden ansehen.",
            "Hasta {seconds} segundos. Podrás verlo antes de enviarlo.",
            "Fino a {seconds} secondi. Potrai rivederlo prima di inviarlo.",
            "Tot {seconds} seconden. Je kunt hem bekijken voor je hem verstuurt.",
            "Até {seconds} segundos. Pode vê-lo antes de enviar.",
        ],
    ),
    (
        "choose.rated",
        [
            "Thank you for the {n}-star rating. A short video says even more.",
            "Merci pour la note de {n} étoiles. Une courte vidéo en dit encore plus.",
            "Danke für die {n}-Sterne-Bewertung. Ein kurzes Video sagt noch mehr.",
            "Gracias por la valoración de {n} estrellas. Un vídeo corto dice aún más.",
            "Grazie per il voto di {n} stelle. Un breve video dice ancora di più.",
            "Bedankt voor de {n} sterren. Een korte video zegt nog meer.",
            "Obrigado pela avaliação de {n} estrelas. Um vídeo curto diz ainda mais.",
        ],
    ),
    (
        "choose.record",
        [
            "Record a video",
            "Enregistrer une vidéo",
            "Video aufnehmen",
            "Grabar un vídeo",
            "Registra un video",
            "Neem een video op",
            "Gravar um vídeo",
        ],
    ),
    (
        "choose.pick",
        [
            "Pick a video from your phone",
            "Choisir une vidéo sur votre téléphone",
            "Ein Video vom Telefon wählen",
            "Elegir un vídeo del teléfono",
            "Scegli un video dal telefono",
            "Kies een video op je telefoon",
            "Escolher um vídeo do telemóvel",
        ],
    ),
    (
        "choose.text",
        [
            "I would rather write a few words",
            "Je préfère écrire quelques mots",
            "Ich schreibe lieber ein paar Worte",
            "Prefiero escribir unas palabras",
            "Preferisco scrivere qualche parola",
            "Ik schrijf liever een paar woorden",
            "Prefiro escrever algumas palavras",
        ],
    ),
    (
        "choose.postpone",
        [
            "Not arrived yet?",
            "Pas encore reçu ?",
            "Noch nicht angekommen?",
            "¿Aún no ha llegado?",
            "Non è ancora arrivato?",
            "Nog niet ontvangen?",
            "Ainda não chegou?",
        ],
    ),
    (
        "choose.postpone_link",
        [
            "Ask me again later",
            "Redemandez-moi plus tard",
            "Später noch einmal fragen",
            "Pregúntame más tarde",
            "Chiedimelo più tardi",
            "Vraag het me later nog eens",
            "Pergunte-me mais tarde",
        ],
    ),
    ("camera.stop", ["Stop", "Arrêter", "Stopp", "Detener", "Stop", "Stop", "Parar"]),
    ("camera.cancel", ["Cancel", "Annuler", "Abbrechen", "Cancelar", "Annulla", "Annuleren", "Cancelar"]),
    (
        "preview.use",
        [
            "Use this video",
            "Utiliser cette vidéo",
            "Dieses Video verwenden",
            "Usar este vídeo",
            "Usa questo video",
            "Deze video gebruiken",
            "Usar este vídeo",
        ],
    ),
    (
        "preview.again",
        [
            "Record again",
            "Recommencer",
            "Neu aufnehmen",
            "Grabar de nuevo",
            "Registra di nuovo",
            "Opnieuw opnemen",
            "Gravar de novo",
        ],
    ),
    (
        "details.rating",
        [
            "Your rating (optional)",
            "Votre note (facultatif)",
            "Ihre Bewertung (optional)",
            "Tu valoración (opcional)",
            "Il tuo voto (facoltativo)",
            "Je beoordeling (optioneel)",
            "A sua avaliação (opcional)",
        ],
    ),
    ("details.rating_group", ["Rating", "Note", "Bewertung", "Valoración", "Voto", "Beoordeling", "Avaliação"]),
    (
        "details.star",
        [
            "{n} of 5 stars",
            "{n} étoiles sur 5",
            "{n} von 5 Sternen",
            "{n} de 5 estrellas",
            "{n} stelle su 5",
            "{n} van 5 sterren",
            "{n} de 5 estrelas",
        ],
    ),
    (
        "details.words",
        ["Your words", "Vos mots", "Ihre Worte", "Tus palabras", "Le tue parole", "Jouw woorden", "As suas palavras"],
    ),
    (
        "details.words_optional",
        [
            "A few words (optional)",
            "Quelques mots (facultatif)",
            "Ein paar Worte (optional)",
            "Unas palabras (opcional)",
            "Qualche parola (facoltativo)",
            "Een paar woorden (optioneel)",
            "Algumas palavras (opcional)",
        ],
    ),
    (
        "details.name",
        [
            "Your name as shown",
            "Votre nom tel qu'affiché",
            "Ihr angezeigter Name",
            "Tu nombre tal como se mostrará",
            "Il tuo nome come apparirà",
            "Je naam zoals getoond",
            "O seu nome como será mostrado",
        ],
    ),
    (
        "details.name_hint",
        [
            "We show your first name and the initial of your last name.",
            "Nous affichons votre prénom et l'initiale de votre nom.",
            "Wir zeigen Ihren Vornamen und den Anfangsbuchstaben Ihres Nachnamens.",
            "Mostramos tu nombre y la inicial de tu apellido.",
            "Mostriamo il tuo nome e l'iniziale del cognome.",
            "We tonen je voornaam en de eerste letter van je achternaam.",
            "Mostramos o seu primeiro nome e a inicial do apelido.",
        ],
    ),
    ("details.sending", ["Sending…", "Envoi…", "Wird gesendet…", "Enviando…", "Invio…", "Versturen…", "A enviar…"]),
    (
        "details.uploading",
        [
            "Uploading… {percent}%",
            "Envoi… {percent} %",
            "Wird hochgeladen… {percent} %",
            "Subiendo… {percent} %",
            "Caricamento… {percent}%",
            "Uploaden… {percent}%",
            "A carregar… {percent}%",
        ],
    ),
    (
        "details.send",
        [
            "Send my testimonial",
            "Envoyer mon témoignage",
            "Mein Feedback senden",
            "Enviar mi testimonio",
            "Invia la mia testimonianza",
            "Mijn review versturen",
            "Enviar o meu testemunho",
        ],
    ),
    (
        "details.record_instead",
        [
            "Record a video instead",
            "Enregistrer plutôt une vidéo",
            "Doch ein Video aufnehmen",
            "Grabar un vídeo en su lugar",
            "Registra invece un video",
            "Toch een video opnemen",
            "Gravar antes um vídeo",
        ],
    ),
    (
        "details.another",
        [
            "Choose another video",
            "Choisir une autre vidéo",
            "Ein anderes Video wählen",
            "Elegir otro vídeo",
            "Scegli un altro video",
            "Kies een andere video",
            "Escolher outro vídeo",
        ],
    ),
    ("done.title", ["Thank you!", "Merci !", "Danke!", "¡Gracias!", "Grazie!", "Bedankt!", "Obrigado!"]),
    (
        "done.body",
        [
            "Your testimonial is on its way to the shop. They will review it before it appears.",
            "Votre témoignage est en route vers la boutique, qui le relira avant de le publier.",
            "Ihr Feedback ist auf dem Weg zum Shop, der es vor der Veröffentlichung prüft.",
            "Tu testimonio va de camino a la tienda, que lo revisará antes de publicarlo.",
            "La tua testimonianza sta arrivando al negozio, che la controllerà prima di pubblicarla.",
            "Je review is onderweg naar de winkel, die hem bekijkt voordat hij verschijnt.",
            "O seu testemunho está a caminho da loja, que o vai rever antes de aparecer.",
        ],
    ),
    (
        "done.reward",
        [
            "As a thank-you for sharing, here is your discount code (it works once):",
            "Pour vous remercier, voici votre code de réduction (valable une fois) :",
            "Als Dankeschön erhalten Sie diesen Rabattcode (einmal gültig):",
            "Como agradecimiento, aquí tienes tu código de descuento (vale una vez):",
            "Per ringraziarti, ecco il tuo codice sconto (vale una volta):",
            "Als bedankje is hier je kortingscode (werkt één keer):",
            "Como agradecimento, aqui está o seu código de desconto (válido uma vez):",
        ],
    ),
    (
        "done.reward_emailed",
        [
            "We have emailed it to you too.",
            "Nous vous l'avons aussi envoyé par e-mail.",
            "Wir haben ihn Ihnen auch per E-Mail geschickt.",
            "También te lo hemos enviado por correo.",
            "Te lo abbiamo inviato anche via email.",
            "We hebben hem je ook gemaild.",
            "Também lho enviámos por email.",
        ],
    ),
    (
        "done.reward_pending",
        [
            "As a thank-you for sharing, your discount code is on its way by email.",
            "Pour vous remercier, votre code de réduction arrive par e-mail.",
            "Als Dankeschön kommt Ihr Rabattcode per E-Mail.",
            "Como agradecimiento, tu código de descuento llegará por correo.",
            "Per ringraziarti, il tuo codice sconto arriverà via email.",
            "Als bedankje komt je kortingscode per e-mail.",
            "Como agradecimento, o seu código de desconto vai chegar por email.",
        ],
    ),
    (
        "upload.retrying",
        [
            "Connection lost: trying again (attempt {attempt})… what was sent is kept.",
            "Connexion perdue : nouvel essai ({attempt})… ce qui a été envoyé est conservé.",
            "Verbindung unterbrochen: neuer Versuch ({attempt})… Gesendetes bleibt erhalten.",
            "Conexión perdida: reintentando ({attempt})… lo enviado se conserva.",
            "Connessione persa: nuovo tentativo ({attempt})… quanto inviato è conservato.",
            "Verbinding verbroken: opnieuw proberen ({attempt})… wat verstuurd is, blijft bewaard.",
            "Ligação perdida: a tentar de novo ({attempt})… o que foi enviado fica guardado.",
        ],
    ),
    (
        "upload.progress",
        [
            "Uploading {sent} of {total}",
            "Envoi de {sent} sur {total}",
            "{sent} von {total} hochgeladen",
            "Subiendo {sent} de {total}",
            "Caricamento di {sent} su {total}",
            "{sent} van {total} geüpload",
            "A carregar {sent} de {total}",
        ],
    ),
    (
        "upload.done",
        [
            "Video uploaded ✓",
            "Vidéo envoyée ✓",
            "Video hochgeladen ✓",
            "Vídeo subido ✓",
            "Video caricato ✓",
            "Video geüpload ✓",
            "Vídeo carregado ✓",
        ],
    ),
    (
        "upload.retry",
        [
            "Try the upload again",
            "Réessayer l'envoi",
            "Hochladen erneut versuchen",
            "Reintentar la subida",
            "Riprova il caricamento",
            "Upload opnieuw proberen",
            "Tentar carregar de novo",
        ],
    ),
    (
        "error.file_type",
        [
            "This file type ({type}) cannot be used. Please pick a video (MP4, MOV or WebM).",
            "Ce type de fichier ({type}) ne peut pas être utilisé. Choisissez une vidéo (MP4, MOV ou WebM).",
            "Dieser Dateityp ({type}) geht nicht. Bitte wählen Sie ein Video (MP4, MOV oder WebM).",
            "Este tipo de archivo ({type}) no sirve. Elige un vídeo (MP4, MOV o WebM).",
            "Questo tipo di file ({type}) non può essere usato. Scegli un video (MP4, MOV o WebM).",
            "Dit bestandstype ({type}) kan niet. Kies een video (MP4, MOV of WebM).",
            "Este tipo de ficheiro ({type}) não pode ser usado. Escolha um vídeo (MP4, MOV ou WebM).",
        ],
    ),
    (
        "error.empty",
        [
            "This file is empty. Please pick another video.",
            "Ce fichier est vide. Choisissez une autre vidéo.",
            "Diese Datei ist leer. Bitte wählen Sie ein anderes Video.",
            "Este archivo está vacío. Elige otro vídeo.",
            "Questo file è vuoto. Scegli un altro video.",
            "Dit bestand is leeg. Kies een andere video.",
            "Este ficheiro está vazio. Escolha outro vídeo.",
        ],
    ),
    (
        "error.too_big",
        [
            "This video is {size}; the limit is {limit}. Pick a shorter one or record it here.",
            "Cette vidéo fait {size} ; la limite est de {limit}. Choisissez-en une plus courte ou enregistrez-la ici.",
            "Dieses Video hat {size}; die Grenze liegt bei {limit}. Wählen Sie ein kürzeres oder nehmen Sie es hier auf.",
            "Este vídeo ocupa {size}; el límite es {limit}. Elige uno más corto o grábalo aquí.",
            "Questo video pesa {size}; il limite è {limit}. Scegline uno più corto o registralo qui.",
            "Deze video is {size}; de limiet is {limit}. Kies een kortere of neem hem hier op.",
            "Este vídeo tem {size}; o limite é {limit}. Escolha um mais curto ou grave-o aqui.",
        ],
    ),
    (
        "error.too_long",
        [
            "This video is {seconds} seconds long; the limit is {limit} seconds. Trim it or record a shorter one.",
            "Cette vidéo dure {seconds} secondes ; la limite est de {limit} secondes. Raccourcissez-la ou enregistrez-en une plus courte.",
            "Dieses Video ist {seconds} Sekunden lang; die Grenze liegt bei {limit} Sekunden. Kürzen Sie es oder nehmen Sie ein kürzeres auf.",
            "Este vídeo dura {seconds} segundos; el límite es {limit} segundos. Recórtalo o graba uno más corto.",
            "Questo video dura {seconds} secondi; il limite è {limit} secondi. Accorcialo o registrane uno più breve.",
            "Deze video duurt {seconds} seconden; de limiet is {limit} seconden. Kort hem in of neem een kortere op.",
            "Este vídeo tem {seconds} segundos; o limite é {limit} segundos. Corte-o ou grave um mais curto.",
        ],
    ),
    (
        "error.no_recording",
        [
            "This browser cannot record video. Pick a video from your phone instead.",
            "Ce navigateur ne peut pas filmer. Choisissez plutôt une vidéo sur votre téléphone.",
            "Dieser Browser kann kein Video aufnehmen. Wählen Sie stattdessen ein Video vom Telefon.",
            "Este navegador no puede grabar vídeo. Elige un vídeo del teléfono.",
            "Questo browser non può registrare video. Scegli un video dal telefono.",
            "Deze browser kan geen video opnemen. Kies een video op je telefoon.",
            "Este navegador não grava vídeo. Escolha um vídeo do telemóvel.",
        ],
    ),
    (
        "error.camera_denied",
        [
            "We could not use your camera: access was denied. Allow the camera and microphone for this page in your browser settings, or pick a video from your phone instead.",
            "L'accès à la caméra a été refusé. Autorisez-le dans les réglages du navigateur, ou choisissez une vidéo.",
            "Der Kamerazugriff wurde verweigert. Erlauben Sie ihn in den Browser-Einstellungen oder wählen Sie ein Video.",
            "Se denegó el acceso a la cámara. Permítelo en los ajustes del navegador o elige un vídeo.",
            "L'accesso alla fotocamera è stato negato. Consentilo nelle impostazioni del browser o scegli un video.",
            "Toegang tot de camera is geweigerd. Sta het toe in je browserinstellingen of kies een video.",
            "O acesso à câmara foi recusado. Permita-o nas definições do navegador ou escolha um vídeo.",
        ],
    ),
    (
        "error.no_camera",
        [
            "No camera was found. Pick a video from your phone instead.",
            "Aucune caméra trouvée. Choisissez plutôt une vidéo sur votre téléphone.",
            "Keine Kamera gefunden. Wählen Sie stattdessen ein Video vom Telefon.",
            "No se encontró ninguna cámara. Elige un vídeo del teléfono.",
            "Nessuna fotocamera trovata. Scegli un video dal telefono.",
            "Geen camera gevonden. Kies een video op je telefoon.",
            "Nenhuma câmara encontrada. Escolha um vídeo do telemóvel.",
        ],
    ),
    (
        "error.camera_busy",
        [
            "Another app is using the camera. Close it and try again, or pick a video.",
            "Une autre application utilise la caméra. Fermez-la et réessayez, ou choisissez une vidéo.",
            "Eine andere App nutzt die Kamera. Schließen Sie sie und versuchen Sie es erneut, oder wählen Sie ein Video.",
            "Otra aplicación está usando la cámara. Ciérrala y vuelve a intentarlo, o elige un vídeo.",
            "Un'altra app sta usando la fotocamera. Chiudila e riprova, o scegli un video.",
            "Een andere app gebruikt de camera. Sluit die en probeer opnieuw, of kies een video.",
            "Outra aplicação está a usar a câmara. Feche-a e tente de novo, ou escolha um vídeo.",
        ],
    ),
    (
        "error.camera_failed",
        [
            "The camera did not start. Pick a video from your phone instead.",
            "La caméra n'a pas démarré. Choisissez plutôt une vidéo sur votre téléphone.",
            "Die Kamera ist nicht gestartet. Wählen Sie stattdessen ein Video vom Telefon.",
            "La cámara no se inició. Elige un vídeo del teléfono.",
            "La fotocamera non si è avviata. Scegli un video dal telefono.",
            "De camera startte niet. Kies een video op je telefoon.",
            "A câmara não arrancou. Escolha um vídeo do telemóvel.",
        ],
    ),
    (
        "error.upload_expired",
        [
            "The upload link has expired. Please reload the page.",
            "Le lien d'envoi a expiré. Rechargez la page.",
            "Der Upload-Link ist abgelaufen. Bitte laden Sie die Seite neu.",
            "El enlace de subida ha caducado. Vuelve a cargar la página.",
            "Il link di caricamento è scaduto. Ricarica la pagina.",
            "De uploadlink is verlopen. Laad de pagina opnieuw.",
            "O link de carregamento expirou. Recarregue a página.",
        ],
    ),
    (
        "error.upload_dropping",
        [
            "The connection keeps dropping. What was sent is kept: try again when you have a better signal.",
            "La connexion coupe sans cesse. Ce qui a été envoyé est conservé : réessayez avec un meilleur signal.",
            "Die Verbindung bricht ständig ab. Gesendetes bleibt erhalten: Versuchen Sie es mit besserem Empfang erneut.",
            "La conexión se corta. Lo enviado se conserva: inténtalo de nuevo con mejor señal.",
            "La connessione continua a cadere. Quanto inviato è conservato: riprova con un segnale migliore.",
            "De verbinding valt steeds weg. Wat verstuurd is, blijft bewaard: probeer het opnieuw met beter bereik.",
            "A ligação está sempre a cair. O que foi enviado fica guardado: tente de novo com melhor rede.",
        ],
    ),
    (
        "error.upload_refused",
        [
            "The upload was refused (HTTP {status}).",
            "L'envoi a été refusé (HTTP {status}).",
            "Der Upload wurde abgelehnt (HTTP {status}).",
            "La subida fue rechazada (HTTP {status}).",
            "Il caricamento è stato rifiutato (HTTP {status}).",
            "De upload is geweigerd (HTTP {status}).",
            "O carregamento foi recusado (HTTP {status}).",
        ],
    ),
];

/// The campaign's prompt and consent text as the customer reads them: our default ones in the
/// customer's language, the merchant's own ones as written.
pub fn campaign_texts(prompt: &str, consent: &str, language: &str) -> (String, String) {
    let column = super::i18n::SHIPPED.iter().position(|l| *l == language).unwrap_or(0);
    let ours = |key: &str, text: &str| {
        let row = ROWS.iter().find(|(k, _)| *k == key).map(|(_, t)| t);
        match row {
            Some(t) if t[0] == text => t[column].to_owned(),
            _ => text.to_owned(),
        }
    };
    (ours("campaign.prompt", prompt), ours("campaign.consent", consent))
}

/// Every key the page may ask for.
pub fn keys() -> impl Iterator<Item = &'static str> {
    ROWS.iter().map(|(k, _)| *k)
}

/// The page's words in `locale` (a shipped one; English otherwise), with `overrides` (the
/// merchant's wording for that locale, by key) on top. Unknown override keys are ignored.
pub fn copy(locale: &str, overrides: Option<&BTreeMap<String, String>>) -> BTreeMap<&'static str, String> {
    let column = super::i18n::SHIPPED.iter().position(|l| *l == locale).unwrap_or(0);
    ROWS.iter()
        .map(|(key, texts)| {
            let text = overrides
                .and_then(|o| o.get(*key))
                .filter(|t| !t.trim().is_empty())
                .cloned()
                .unwrap_or_else(|| texts[column].to_owned());
            (*key, text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_string_with_the_same_placeholders() {
        for (key, texts) in ROWS {
            let holes = |t: &str| {
                let mut h: Vec<String> =
                    t.split('{').skip(1).filter_map(|s| s.split_once('}').map(|(n, _)| n.to_owned())).collect();
                h.sort();
                h
            };
            for (i, t) in texts.iter().enumerate() {
                assert!(!t.trim().is_empty(), "{key} in {}", super::super::i18n::SHIPPED[i]);
                assert_eq!(holes(t), holes(texts[0]), "{key} in {}", super::super::i18n::SHIPPED[i]);
            }
        }
    }

    #[test]
    fn the_merchants_words_win_for_their_language_only() {
        let mut mine = BTreeMap::new();
        mine.insert("done.title".to_owned(), "Merci infiniment !".to_owned());
        mine.insert("no.such.key".to_owned(), "x".to_owned());
        let fr = copy("fr", Some(&mine));
        assert_eq!(fr["done.title"], "Merci infiniment !");
        assert_eq!(fr["choose.record"], "Enregistrer une vidéo");
        assert!(!fr.contains_key("no.such.key"));
        assert_eq!(copy("ja", None)["done.title"], "Thank you!", "an unshipped language is English");
    }
}
