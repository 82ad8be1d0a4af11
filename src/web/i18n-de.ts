import type { RefusalCode } from './messages.js';

/**
 * The bank's pages in German: each text keyed by its English wording
 * (src/web/i18n.ts), and the refusals by their code (src/web/messages.ts).
 * Formal address (Sie), as a bank writes.
 */
export const DE_TEXT: Record<string, string> = {
  'We could not do that': 'Das konnten wir nicht ausführen',
  'This page does not exist.': 'Diese Seite gibt es nicht.',
  'Back to your cards': 'Zurück zu Ihren Karten',
  'Synced across your devices': 'Auf Ihren Geräten synchronisiert',
  'This device’s screen lock': 'Bildschirmsperre dieses Geräts',
  'Security key': 'Sicherheitsschlüssel',
  'On one device': 'Auf einem Gerät',
  'Passkey {n}': 'Passkey {n}',
  'Added {when}': 'Hinzugefügt am {when}',
  'last used {when}': 'zuletzt verwendet am {when}',
  'not used yet': 'noch nicht verwendet',
  Remove: 'Entfernen',
  'passkey {n}': 'Passkey {n}',
  'Lost this device? Removing the passkey stops it confirming it is you. Confirm with a one-time code first.':
    'Gerät verloren? Wenn Sie den Passkey entfernen, kann er Sie nicht mehr bestätigen. Bestätigen Sie zuerst mit einem Einmalcode.',
  'One-time code': 'Einmalcode',
  'Remove passkey {n}': 'Passkey {n} entfernen',
  'Demo cardholders (simulator mode only)': 'Demo-Karteninhaber (nur im Simulatormodus)',
  'These sign-ins exist only in simulator mode. Add a TOTP secret to any authenticator app to get one-time codes.':
    'Diese Anmeldungen gibt es nur im Simulatormodus. Fügen Sie ein TOTP-Geheimnis einer Authenticator-App hinzu, um Einmalcodes zu erhalten.',
  'Demo cardholders': 'Demo-Karteninhaber',
  Username: 'Benutzername',
  Password: 'Passwort',
  'TOTP secret': 'TOTP-Geheimnis',
  Use: 'Verwenden',
  'Sign in': 'Anmelden',
  '{product} ending in {lastFour}': '{product} mit Endziffern {lastFour}',
  'Added to Click to Pay': 'Zu Click to Pay hinzugefügt',
  Manage: 'Verwalten',
  '{card} in Click to Pay': '{card} in Click to Pay',
  'Check out faster online: add this card to Click to Pay, as you would to a phone wallet.':
    'Online schneller bezahlen: Fügen Sie diese Karte zu Click to Pay hinzu, wie zu einer Wallet auf dem Handy.',
  'Add to Click to Pay': 'Zu Click to Pay hinzufügen',
  'Add to a merchant or wallet': 'Bei einem Händler oder einer Wallet hinzufügen',
  'Expires {month}': 'Gültig bis {month}',
  'Where this card is saved': 'Wo diese Karte gespeichert ist',
  'Your cards': 'Ihre Karten',
  'You have no cards.': 'Sie haben keine Karten.',
  'Cards you added': 'Von Ihnen hinzugefügte Karten',
  'Already added · manage it': 'Bereits hinzugefügt · verwalten',
  'Already saved here · save again': 'Hier bereits gespeichert · erneut speichern',
  'Pay online without typing your card': 'Online bezahlen, ohne die Karte einzutippen',
  'Save your card at this merchant': 'Karte bei diesem Händler speichern',
  'Where should we add your {card}?': 'Wo sollen wir Ihre {card} hinzufügen?',
  'No destination accepts this card yet.': 'Noch nimmt kein Ziel diese Karte an.',
  'Your card': 'Ihre Karte',
  '{product} ending in {lastFour}, expires {month}: as a stand-in number (a token), never your card number':
    '{product} mit Endziffern {lastFour}, gültig bis {month}: als Ersatznummer (Token), nie Ihre Kartennummer',
  'Add your card to {name}': 'Ihre Karte zu {name} hinzufügen',
  'What {name} will receive': 'Was {name} erhält',
  'Mastercard gives Click to Pay the following, so that Click to Pay can recognise you and fill in your card when you pay online:':
    'Mastercard gibt Click to Pay Folgendes, damit Click to Pay Sie erkennt und Ihre Karte beim Online-Bezahlen einsetzt:',
  'Mastercard gives {name} the following, so that {name} can charge your card when you buy there:':
    'Mastercard gibt {name} Folgendes, damit {name} Ihre Karte belasten kann, wenn Sie dort einkaufen:',
  'These are your details as the bank holds them, shown only to you: if something is out of date, contact us before adding the card.':
    'Das sind Ihre Angaben, wie die Bank sie kennt, nur Ihnen angezeigt: Ist etwas nicht mehr aktuell, melden Sie sich bitte bei uns, bevor Sie die Karte hinzufügen.',
  '{name} receives nothing else from us: never your card number, security code or PIN.':
    '{name} erhält sonst nichts von uns: nie Ihre Kartennummer, Ihren Sicherheitscode oder Ihre PIN.',
  'Click to Pay is Mastercard’s service: its {terms} and {privacy} apply to your Click to Pay profile.':
    'Click to Pay ist ein Dienst von Mastercard: Für Ihr Click-to-Pay-Profil gelten dessen {terms} und {privacy}.',
  'terms of use': 'Nutzungsbedingungen',
  'privacy notice': 'Datenschutzhinweise',
  'I agree to share this card and the details above with {name}.':
    'Ich bin einverstanden, diese Karte und die obigen Angaben mit {name} zu teilen.',
  'You can pause or remove the card there at any time, from “Where this card is saved”.':
    'Sie können die Karte dort jederzeit pausieren oder entfernen, unter „Wo diese Karte gespeichert ist“.',
  'Confirm it is you': 'Bestätigen Sie, dass Sie es sind',
  'You confirm it is you at the bank’s sign-in; then the card is added.':
    'Sie bestätigen bei der Anmeldung der Bank, dass Sie es sind; dann wird die Karte hinzugefügt.',
  'Continue to the bank’s sign-in': 'Weiter zur Anmeldung der Bank',
  'You confirm it is you at the bank’s sign-in; then your card can be used there again.':
    'Sie bestätigen bei der Anmeldung der Bank, dass Sie es sind; dann kann Ihre Karte dort wieder verwendet werden.',
  'You confirm it is you at the bank’s sign-in; then the passkey is removed.':
    'Sie bestätigen bei der Anmeldung der Bank, dass Sie es sind; dann wird der Passkey entfernt.',
  'How you confirm it is you': 'Wie Sie bestätigen, dass Sie es sind',
  'You confirm it is you at your bank’s sign-in, as when you sign in. Your bank manages how you do that (a code, a passkey, its app): change it there.':
    'Sie bestätigen bei der Anmeldung Ihrer Bank, dass Sie es sind, wie beim Anmelden. Wie Sie das tun (ein Code, ein Passkey, die App der Bank), verwaltet Ihre Bank: Ändern Sie es dort.',
  'Passkeys from before': 'Frühere Passkeys',
  'These passkeys were set up here before you signed in with your bank. They no longer confirm anything; you can remove them.':
    'Diese Passkeys wurden hier eingerichtet, bevor Sie sich bei Ihrer Bank angemeldet haben. Sie bestätigen nichts mehr; Sie können sie entfernen.',
  'One-time code from my authenticator app': 'Einmalcode aus meiner Authenticator-App',
  'Passkey on this device': 'Passkey auf diesem Gerät',
  'No passkey yet: {link} to confirm with this device next time.':
    'Noch kein Passkey: {link}, um beim nächsten Mal mit diesem Gerät zu bestätigen.',
  'add one under Security': 'unter Sicherheit einen hinzufügen',
  'Add to {name}': 'Zu {name} hinzufügen',
  Cancel: 'Abbrechen',
  'a card': 'eine Karte',
  'Nothing yet.': 'Noch nichts.',
  'Continue to {name}': 'Weiter zu {name}',
  'You chose not to add it this time.': 'Sie haben sich entschieden, die Karte diesmal nicht hinzuzufügen.',
  'Try again': 'Erneut versuchen',
  Cards: 'Karten',
  Card: 'Karte',
  Security: 'Sicherheit',
  'Passkey added. You can now confirm with it.': 'Passkey hinzugefügt. Sie können jetzt damit bestätigen.',
  'Passkey removed. It can no longer confirm it is you.':
    'Passkey entfernt. Er kann Sie nicht mehr bestätigen.',
  'Your passkeys': 'Ihre Passkeys',
  'You have no passkey yet.': 'Sie haben noch keinen Passkey.',
  'Add a passkey': 'Passkey hinzufügen',
  'A passkey lets you confirm pushes with this device’s screen lock instead of a one-time code. First confirm it is you with a code.':
    'Mit einem Passkey bestätigen Sie mit der Bildschirmsperre dieses Geräts statt mit einem Einmalcode. Bestätigen Sie zuerst mit einem Code, dass Sie es sind.',
  'We could not find that page': 'Diese Seite haben wir nicht gefunden',
  Pause: 'Pausieren',
  '{card} at {where}': '{card} bei {where}',
  Resume: 'Fortsetzen',
  '{card} from {where}': '{card} bei {where}',
  'Confirm it is you to resume': 'Bestätigen Sie zum Fortsetzen, dass Sie es sind',
  'Confirm and resume': 'Bestätigen und fortsetzen',
  'Remove your card from {where}? To use it there again you would add it again from your bank.':
    'Ihre Karte bei {where} entfernen? Um sie dort wieder zu nutzen, fügen Sie sie erneut über Ihre Bank hinzu.',
  'Yes, remove it': 'Ja, entfernen',
  'Saved at this merchant': 'Bei diesem Händler gespeichert',
  'since {when}': 'seit {when}',
  'their number ends in {digits}': 'deren Nummer endet auf {digits}',
  'Your card at {where}:': 'Ihre Karte bei {where}:',
  'Where your {card} is saved': 'Wo Ihre {card} gespeichert ist',
  'You can still remove it from any of them.': 'Sie können sie dennoch überall entfernen.',
  'This card is not saved anywhere yet. Add it to Click to Pay or a merchant from your cards.':
    'Diese Karte ist noch nirgends gespeichert. Fügen Sie sie über Ihre Karten zu Click to Pay oder bei einem Händler hinzu.',
  'This card is not saved anywhere. While it is blocked it cannot be added anywhere either.':
    'Diese Karte ist nirgends gespeichert. Solange sie gesperrt ist, kann sie auch nirgends hinzugefügt werden.',
  'try again': 'es erneut versuchen',
  'try again from your cards': 'es über Ihre Karten erneut versuchen',
  'your saved cards': 'Ihre gespeicherten Karten',
  'your cards': 'Ihre Karten',
  'Quote reference {id} if you call us.': 'Nennen Sie bei einem Anruf die Referenz {id}.',
  'Nothing to do: this page updates by itself in a moment.':
    'Nichts zu tun: Diese Seite aktualisiert sich gleich von selbst.',
  'Nothing more to do: this page updates by itself once Mastercard confirms.':
    'Nichts mehr zu tun: Diese Seite aktualisiert sich, sobald Mastercard bestätigt.',
  'Finish at {name}: “Continue to {name}” takes you there.':
    'Schließen Sie bei {name} ab: „Weiter zu {name}“ bringt Sie dorthin.',
  'Finish at {name} in the window it opened.': 'Schließen Sie im geöffneten Fenster von {name} ab.',
  'Closed it by mistake? Start again from your cards.':
    'Versehentlich geschlossen? Beginnen Sie erneut bei Ihren Karten.',
  'Next time you pay online, choose Click to Pay at checkout: your card is there, without typing it.':
    'Wählen Sie beim nächsten Online-Einkauf an der Kasse Click to Pay: Ihre Karte ist dort, ohne Eintippen.',
  'Next time you buy at {name}, choose this card at checkout: it is saved there.':
    'Wählen Sie beim nächsten Einkauf bei {name} diese Karte an der Kasse: Sie ist dort gespeichert.',
  'You can pause or remove it there at any time, under {saved}.':
    'Sie können sie dort jederzeit pausieren oder entfernen, unter {saved}.',
  'The time to finish ran out, so nothing was added. You can {again} whenever you like.':
    'Die Zeit zum Abschließen ist abgelaufen, daher wurde nichts hinzugefügt. Sie können {again}, wann immer Sie möchten.',
  'Nothing was added. You can {again} whenever you like.':
    'Es wurde nichts hinzugefügt. Sie können {again}, wann immer Sie möchten.',
  'Nothing more to do: see {saved}.': 'Nichts mehr zu tun: siehe {saved}.',
  'Trying again will not help this time: please call us on the number on the back of your card.':
    'Ein neuer Versuch hilft diesmal nicht: Bitte rufen Sie uns unter der Nummer auf der Rückseite Ihrer Karte an.',
  'You can {again}. If it fails again, call us on the number on the back of your card.':
    'Sie können {again}. Klappt es wieder nicht, rufen Sie uns unter der Nummer auf der Rückseite Ihrer Karte an.',
  'What now': 'Wie geht es weiter',
  Main: 'Hauptnavigation',
  'Sign out': 'Abmelden',
  'Skip to content': 'Zum Inhalt springen',
  Active: 'Aktiv',
  'Paused: it cannot be used here until you resume it':
    'Pausiert: Sie kann hier erst wieder genutzt werden, wenn Sie sie fortsetzen',
  Removed: 'Entfernt',
  'Your card at {where} can be used again.': 'Ihre Karte bei {where} kann wieder genutzt werden.',
  'Your card at {where} is paused.': 'Ihre Karte bei {where} ist pausiert.',
  'Your card at {where} was removed.': 'Ihre Karte bei {where} wurde entfernt.',
  'Sending your card to Mastercard…': 'Ihre Karte wird an Mastercard gesendet…',
  'Waiting for you to finish there…': 'Wir warten, bis Sie dort abschließen…',
  'Done: your card was added.': 'Fertig: Ihre Karte wurde hinzugefügt.',
  'Your card was not added.': 'Ihre Karte wurde nicht hinzugefügt.',
  'This request expired before it finished.': 'Diese Anfrage ist abgelaufen, bevor sie abgeschlossen war.',
  'Your name': 'Ihr Name',
  'Your email': 'Ihre E-Mail-Adresse',
  'Your mobile number': 'Ihre Mobilnummer',
  'Your billing address': 'Ihre Rechnungsadresse',
  active: 'aktiv',
  blocked: 'gesperrt',
  closed: 'geschlossen',
  'Mastercard is confirming your card…': 'Mastercard bestätigt Ihre Karte…',
  'Choose where to add your card': 'Wählen Sie, wo Sie Ihre Karte hinzufügen',
  Result: 'Ergebnis',
  'In progress': 'In Bearbeitung',
  'Where your card is saved': 'Wo Ihre Karte gespeichert ist',
  'Page not found': 'Seite nicht gefunden',
  'Something stopped us': 'Etwas hat uns aufgehalten',
  'Keep it': 'Behalten',
  'Check again': 'Erneut prüfen',
  'Thank you. Mastercard is activating your card there; it shows below once it is done.':
    'Danke. Mastercard aktiviert Ihre Karte dort; sie erscheint unten, sobald das erledigt ist.',
  'Thank you. We asked Mastercard to remove it.': 'Danke. Wir haben Mastercard gebeten, sie zu entfernen.',
  '{where} asked to save this card on {when}': '{where} hat am {when} angefragt, diese Karte zu speichern',
  'Mastercard holds it until you confirm it was you. If it was not you, say so and it is removed.':
    'Mastercard hält sie zurück, bis Sie bestätigen, dass Sie es waren. Waren Sie es nicht, sagen Sie es uns, dann wird sie entfernt.',
  'One-time code from your authenticator app': 'Einmalcode aus Ihrer Authenticator-App',
  'Or enter the code we sent to {to}:': 'Oder geben Sie den Code ein, den wir an {to} gesendet haben:',
  'Code we sent you': 'Code, den wir Ihnen gesendet haben',
  'Yes, it was me': 'Ja, das war ich',
  'No, it was not me': 'Nein, das war ich nicht',
  'Waiting for you to confirm': 'Wartet auf Ihre Bestätigung',
};

/** The refusals and the page script's words, by code. */
export const DE_MESSAGES: Record<RefusalCode | `ui.${string}`, string> = {
  CARD_COUNTRY_NOT_SERVED:
    'Diese Karte wurde in einem Land ausgegeben, in dem dieser Dienst noch nicht angeboten wird.',
  CARD_EXPIRED: 'Diese Karte ist abgelaufen. Verwenden Sie bitte Ihre Ersatzkarte.',
  CARD_NOT_ACTIVE: 'Diese Karte ist gesperrt oder noch nicht aktiv und kann daher nicht hinzugefügt werden.',
  ACCOUNT_RANGE_NOT_ENROLLED: 'Diese Kartenart kann noch nicht zu digitalen Diensten hinzugefügt werden.',
  ACCOUNT_RANGE_NOT_ACCEPTED: 'Dieses Ziel nimmt diese Kartenart nicht an.',
  ACCOUNT_INELIGIBLE: 'Mastercard konnte diese Karte nicht hinzufügen. Bitte wenden Sie sich an uns.',
  CARD_NOT_FOUND: 'Diese Karte haben wir unter Ihren Karten nicht gefunden.',
  CARDS_INVALID: 'Die gewählten Karten können nicht zusammen hinzugefügt werden.',
  NO_RECEIPT: 'Mastercard hat diese Karte für dieses Ziel nicht angenommen. Es wurde nichts hinzugefügt.',
  TOKEN_CONNECT_REJECTED:
    'Mastercard hat die Anfrage abgelehnt, daher wurde Ihre Karte nicht hinzugefügt. Versuchen Sie es bitte später erneut.',
  TOKEN_CONNECT_UNEXPECTED_RESPONSE:
    'Die Antwort von Mastercard war nicht lesbar, daher wurde Ihre Karte nicht hinzugefügt. Versuchen Sie es bitte später erneut.',
  TOKEN_CONNECT_UNREACHABLE:
    'Wir erreichen Mastercard gerade nicht, daher wurde Ihre Karte nicht hinzugefügt. Versuchen Sie es bitte später erneut.',
  TOKEN_CONNECT_TIMEOUT:
    'Mastercard hat nicht rechtzeitig geantwortet, daher wurde Ihre Karte nicht hinzugefügt. Versuchen Sie es bitte später erneut.',
  IDEMPOTENCY_IN_PROGRESS:
    'Ihre Anfrage wird noch bearbeitet. Warten Sie bitte kurz und laden Sie die Seite neu.',
  MULTIPLE_CARDS_NOT_SUPPORTED: 'Dieses Ziel nimmt jeweils nur eine Karte an.',
  TOKEN_REQUESTOR_NOT_FOUND: 'Dieses Ziel ist für diese Karte nicht verfügbar.',
  CONSENT_REQUIRED: 'Setzen Sie das Häkchen, um dem Teilen Ihrer Kartendaten zuzustimmen.',
  SCA_REQUIRED: 'Bestätigen Sie zuerst mit einem Einmalcode oder einem Passkey, dass Sie es sind.',
  'SCA_REQUIRED.idp':
    'Die Anmeldung Ihrer Bank hat nicht stark genug bestätigt, dass Sie es sind. Versuchen Sie es erneut und bestätigen Sie dort mit Ihrem zweiten Schritt.',
  SCA_EXPIRED: 'Ihre Bestätigung ist abgelaufen. Bestätigen Sie bitte erneut.',
  SCA_WRONG_SESSION: 'Ihre Bestätigung gehört zu einer anderen Anmeldung. Bestätigen Sie bitte erneut.',
  SCA_WRONG_CARDHOLDER: 'Ihre Bestätigung gehört zu jemand anderem. Bestätigen Sie bitte erneut.',
  TOTP_CODE_INVALID:
    'Dieser Einmalcode stimmt nicht. Prüfen Sie Ihre Authenticator-App und versuchen Sie es erneut.',
  TOTP_CODE_REUSED: 'Dieser Einmalcode wurde schon verwendet. Warten Sie auf den nächsten.',
  TOTP_LOCKED: 'Zu viele falsche Codes. Versuchen Sie es später erneut.',
  TOTP_NOT_ENROLLED: 'Sie haben keine Authenticator-App eingerichtet. Verwenden Sie einen Passkey.',
  WEBAUTHN_NOT_REGISTERED:
    'Sie haben noch keinen Passkey. Richten Sie unter Sicherheit einen ein oder verwenden Sie einen Einmalcode.',
  WEBAUTHN_CREDENTIAL_EXISTS:
    'Für dieses Gerät ist bei uns bereits ein Passkey registriert: Sie können damit schon bestätigen.',
  PASSKEY_NOT_FOUND: 'Diesen Passkey haben wir unter Ihren Passkeys nicht gefunden.',
  WEBAUTHN_CHALLENGE_INVALID: 'Die Passkey-Anfrage ist abgelaufen. Versuchen Sie es erneut.',
  WEBAUTHN_UNKNOWN_CREDENTIAL:
    'Diesen Passkey haben Sie bei uns nicht registriert. Verwenden Sie einen anderen oder einen Einmalcode.',
  WEBAUTHN_VERIFICATION_FAILED:
    'Ihr Passkey konnte nicht geprüft werden. Versuchen Sie es erneut oder verwenden Sie einen Einmalcode.',
  WEBAUTHN_COUNTER_REGRESSED:
    'Der Antwort dieses Passkeys konnten wir nicht vertrauen, daher haben wir sie abgelehnt. Verwenden Sie einen Einmalcode und informieren Sie uns.',
  PASSKEY_LAST_FACTOR:
    'Das ist Ihre einzige Möglichkeit zu bestätigen, dass Sie es sind, daher kann sie nicht entfernt werden. Fügen Sie zuerst einen weiteren Passkey hinzu.',
  WEBAUTHN_RESPONSE_MALFORMED: 'Die Antwort des Passkeys war nicht lesbar. Versuchen Sie es erneut.',
  PASSKEY_CANCELLED: 'Die Passkey-Anfrage wurde abgebrochen oder ist auf diesem Gerät nicht verfügbar.',
  PASSKEY_NEEDS_SCRIPT:
    'Ein Passkey braucht JavaScript, das in diesem Browser ausgeschaltet ist. Verwenden Sie einen Einmalcode oder schalten Sie JavaScript ein.',
  INVALID_CREDENTIALS: 'Benutzername oder Passwort stimmen nicht.',
  SIGN_IN_LOCKED: 'Zu viele Versuche. Versuchen Sie es später erneut.',
  SIGN_IN_BUSY: 'Gerade melden sich viele an. Versuchen Sie es bitte gleich noch einmal.',
  RATE_LIMITED: 'Zu viele Anfragen von hier. Warten Sie bitte kurz und versuchen Sie es erneut.',
  CROSS_ORIGIN_REFUSED:
    'Diese Anfrage kam nicht von unseren eigenen Seiten, daher haben wir sie abgelehnt. Öffnen Sie unsere Seite erneut.',
  SESSION_REQUIRED: 'Bitte melden Sie sich an.',
  SESSION_EXPIRED: 'Ihre Sitzung ist beendet. Bitte melden Sie sich erneut an.',
  SESSION_INVALID: 'Ihre Sitzung ist beendet. Bitte melden Sie sich erneut an.',
  CARDHOLDER_UNKNOWN:
    'Zu dem Konto, mit dem Sie sich angemeldet haben, haben wir keine Karten. Melden Sie sich mit dem Konto Ihrer Karten an.',
  SIGN_IN_REFUSED: 'Die Anmeldung bei Ihrer Bank wurde nicht abgeschlossen. Bitte beginnen Sie erneut.',
  IDENTITY_PROVIDER_UNAVAILABLE:
    'Die Anmeldung Ihrer Bank ist gerade nicht erreichbar. Bitte versuchen Sie es gleich noch einmal.',
  HSM_UNAVAILABLE:
    'Ein technisches Problem bei Ihrer Bank hat dies aufgehalten. Ihre Anfrage bleibt erhalten und wird in Kürze ausgeführt; sehen Sie gleich noch einmal nach.',
  RECEIPT_EXPIRED: 'Die Zeit zum Abschließen ist abgelaufen. Beginnen Sie erneut bei Ihren Karten.',
  PUSH_UNCONFIRMED: 'Mastercard hat die Anfrage nicht rechtzeitig bestätigt. Es wurde nichts hinzugefügt.',
  PROVISIONING_NOT_FOUND: 'Diese Anfrage haben wir nicht gefunden.',
  CALLBACK_RESULTS_INVALID:
    'Die Antwort, mit der Sie zurückkamen, war nicht lesbar, daher wurde nichts geändert. Das Ergebnis erscheint hier, sobald Mastercard es bestätigt.',
  TOKEN_UNCONFIRMED:
    'Mastercard hat nicht bestätigt, dass Ihre Karte hinzugefügt wurde. Sie können es erneut versuchen.',
  ADDITIONAL_AUTHENTICATION_REQUIRED:
    'Ihre Karte braucht dort noch eine Prüfung, bevor sie genutzt werden kann.',
  TOKENIZATION_DECLINED: 'Ihre Karte konnte dort nicht hinzugefügt werden.',
  CARDHOLDER_CANCELLED:
    'Sie haben sich entschieden, die Karte nicht hinzuzufügen. Sie können es jederzeit erneut versuchen.',
  TOKEN_DELETED_BY_TOKEN_REQUESTOR:
    'Ihre Karte wurde dort nach einer fehlgeschlagenen Prüfung entfernt. Sie können es erneut versuchen.',
  VALIDATION_FAILED: 'Etwas im Formular stimmt nicht. Prüfen Sie es und versuchen Sie es erneut.',
  'VALIDATION_FAILED.code': 'Geben Sie den 6-stelligen Code aus Ihrer Authenticator-App ein.',
  'VALIDATION_FAILED.username': 'Geben Sie Ihren Benutzernamen ein.',
  'VALIDATION_FAILED.password': 'Geben Sie Ihr Passwort ein.',
  'VALIDATION_FAILED.consent': 'Setzen Sie das Häkchen, um dem Teilen Ihrer Kartendaten zuzustimmen.',
  ALREADY_ADDED:
    'Diese Karte ist bereits in Click to Pay. Sie können sie unter „Wo diese Karte gespeichert ist“ verwalten.',
  ALREADY_SAVED: 'Diese Karte war dort bereits gespeichert.',
  TOKEN_REQUESTOR_ERROR:
    'Dort ist etwas schiefgegangen, daher wurde Ihre Karte nicht hinzugefügt. Sie können es erneut versuchen.',
  TOKEN_NOT_FOUND: 'Ihre Karte ist dort nicht mehr gespeichert.',
  CARD_BLOCKED:
    'Diese Karte ist gesperrt und daher überall pausiert, wo sie gespeichert ist, bis wir sie entsperren.',
  TOKEN_MANAGEMENT_UNAVAILABLE:
    'Wir erreichen Mastercard gerade nicht, um das zu ändern. Versuchen Sie es bitte später erneut.',
  TOKEN_MANAGEMENT_REFUSED:
    'Mastercard hat diese Änderung nicht angenommen. Laden Sie die Seite neu, um den aktuellen Stand zu sehen.',
  CHANGE_UNCONFIRMED:
    'Mastercard hat die Änderung noch nicht bestätigt. Diese Seite zeigt sie, sobald es so weit ist.',
  BAD_REQUEST: 'Was gesendet wurde, konnten wir nicht lesen. Gehen Sie zurück und versuchen Sie es erneut.',
  NETWORK: 'Wir haben die Bank nicht erreicht. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.',
  UNEXPECTED: 'Bei uns ist etwas schiefgegangen. Versuchen Sie es bitte später erneut.',
  ACTIVATION_CODE_INVALID:
    'Das ist nicht der Code, den wir gesendet haben. Prüfen Sie die Nachricht und versuchen Sie es erneut.',
  ACTIVATION_CODE_UNUSABLE:
    'Dieser Code ist abgelaufen oder wurde zu oft versucht. Bestätigen Sie stattdessen mit Ihrem Einmalcode.',
  ACTIVATION_NOT_FOUND: 'Hier wartet nichts mehr auf Ihre Bestätigung.',
  'ui.confirming': 'Wir bestätigen, dass Sie es sind…',
  'ui.sending': 'Ihre Karte wird an Mastercard gesendet…',
  'ui.redirecting': 'Wir bringen Sie zum Abschließen dorthin…',
  'ui.asking': 'Wir fragen bei Mastercard an…',
  'ui.waiting': 'Wir warten auf die Bestätigung von Mastercard…',
  'ui.passkey-prompt': 'Folgen Sie der Aufforderung Ihres Geräts…',
};
