//! Texts of the booking pages and the panel, in English and Polish, side
//! by side so that neither language can miss one. Templates get `u`.

use chrono::{Datelike, NaiveDate, Weekday};
use termino_domain::business::Language;

macro_rules! ui_texts {
    ($($name:ident: $en:expr, $pl:expr;)*) => {
        #[derive(Debug)]
        pub struct Ui { $(pub $name: &'static str,)* }
        pub const UI_EN: Ui = Ui { $($name: $en,)* };
        pub const UI_PL: Ui = Ui { $($name: $pl,)* };
    };
}

ui_texts! {
    // The booking page.
    book_title: "Book an appointment", "Zarezerwuj wizytę";
    step_service: "1. Choose a service", "1. Wybierz usługę";
    step_staff: "2. Choose who", "2. Wybierz osobę";
    step_day: "3. Choose a day", "3. Wybierz dzień";
    step_time: "4. Choose a time", "4. Wybierz godzinę";
    step_details: "Your details", "Twoje dane";
    anyone: "Anyone available", "Dowolna osoba";
    change: "Change", "Zmień";
    minutes: "min", "min";
    free: "Free", "Bezpłatnie";
    prev_month: "Previous month", "Poprzedni miesiąc";
    next_month: "Next month", "Następny miesiąc";
    day_has_slots: "free times", "wolne terminy";
    day_no_slots: "no free times", "brak wolnych terminów";
    no_slots_month: "No free times this month. Try the next month.", "W tym miesiącu nie ma wolnych terminów. Sprawdź następny miesiąc.";
    no_slots_day: "No free times on this day.", "Tego dnia nie ma wolnych terminów.";
    times_in_zone: "Times shown in", "Godziny w strefie";
    change_zone: "Change time zone", "Zmień strefę czasową";
    show: "Show", "Pokaż";
    closed_title: "Online booking is not available", "Rezerwacja online jest niedostępna";
    closed_no_services: "This business is not taking online bookings at the moment. Please contact it directly.", "Ta firma nie przyjmuje teraz rezerwacji online. Skontaktuj się z nią bezpośrednio.";
    no_services: "No services can be booked online yet.", "Nie ma jeszcze usług do zarezerwowania online.";
    your_name: "Your name", "Imię i nazwisko";
    your_email: "E-mail", "E-mail";
    your_email_hint: "We send the confirmation and the link to manage your booking here.", "Wyślemy tu potwierdzenie i link do zarządzania rezerwacją.";
    your_phone: "Phone (optional)", "Telefon (opcjonalnie)";
    your_notes: "Notes for the business (optional)", "Uwagi dla firmy (opcjonalnie)";
    privacy_notice: "How this business uses your data (privacy notice)", "Jak firma przetwarza Twoje dane (informacja o prywatności)";
    privacy_basic: "Your details are used by the business to handle this booking. Termino stores them encrypted.", "Twoje dane służą firmie do obsługi tej rezerwacji. Termino przechowuje je w postaci zaszyfrowanej.";
    optional_consent: "Optional", "Opcjonalnie";
    sms_consent: "Remind me by text message (SMS) at the phone number above; I can withdraw this on the \"Your data\" page", "Przypomnij mi SMS-em na podany wyżej numer telefonu; mogę to wycofać na stronie „Twoje dane”";
    confirm_booking: "Book", "Rezerwuję";
    send_request: "Send the request", "Wyślij prośbę";
    choose_another: "Choose another time", "Wybierz inny termin";
    summary: "Your booking", "Twoja rezerwacja";
    service: "Service", "Usługa";
    with_whom: "With", "Osoba";
    when: "When", "Termin";
    duration: "Duration", "Czas trwania";
    price: "Price", "Cena";
    status: "Status", "Status";
    booked_title: "Booked!", "Zarezerwowano!";
    booked_body: "Your booking is confirmed. We have sent the details to your e-mail.", "Rezerwacja jest potwierdzona. Szczegóły wysłaliśmy na Twój e-mail.";
    requested_title: "Request sent", "Prośba wysłana";
    requested_body: "The business will confirm your booking soon. We will let you know by e-mail.", "Firma wkrótce potwierdzi rezerwację. Damy znać e-mailem.";
    add_to_calendar: "Add to calendar (.ics)", "Dodaj do kalendarza (.ics)";
    manage_link: "Your link to this booking (keep it to change or cancel)", "Twój link do tej rezerwacji (zachowaj go, by zmienić lub odwołać)";
    manage_title: "Your booking", "Twoja rezerwacja";
    reschedule_title: "Change the time", "Zmień termin";
    reschedule_to: "Move the booking to", "Przenieś rezerwację na";
    reschedule_confirm: "Move", "Przenieś";
    rescheduled: "Your booking has been moved.", "Rezerwacja została przeniesiona.";
    cancel_title: "Cancel the booking", "Odwołaj rezerwację";
    cancel_reason: "Reason (optional)", "Powód (opcjonalnie)";
    cancel_confirm: "Cancel the booking", "Odwołaj rezerwację";
    cancelled_body: "This booking is cancelled.", "Ta rezerwacja jest odwołana.";
    cutoff_passed: "Changes are no longer possible online. Please contact the business.", "Zmiany online nie są już możliwe. Skontaktuj się z firmą.";
    cutoff_until: "You can change or cancel online until", "Możesz zmienić lub odwołać online do";
    status_requested: "Awaiting confirmation", "Czeka na potwierdzenie";
    status_awaiting_payment: "Awaiting payment", "Czeka na płatność";
    status_confirmed: "Confirmed", "Potwierdzona";
    status_completed: "Completed", "Zakończona";
    status_no_show: "No-show", "Nieobecność";
    status_cancelled: "Cancelled", "Odwołana";
    err_slot_taken: "This time has just been taken. Please choose another.", "Ten termin został właśnie zajęty. Wybierz inny.";
    err_slot_unavailable: "This time cannot be booked. Please choose another.", "Tego terminu nie można zarezerwować. Wybierz inny.";
    err_contact_needed: "Give an e-mail address or a phone number.", "Podaj adres e-mail lub numer telefonu.";
    err_invalid_url: "Give an address starting with https://.", "Podaj adres zaczynający się od https://.";
    err_invalid_hour: "Give a whole hour from 0 to 23, or leave it empty.", "Podaj pełną godzinę od 0 do 23 albo zostaw puste.";
    err_invalid_number: "Give a whole number.", "Podaj liczbę całkowitą.";
    err_invalid_amount: "Give an amount such as 120 or 99.50.", "Podaj kwotę, np. 120 lub 99,50.";
    err_invalid_date: "Give a date (YYYY-MM-DD).", "Podaj datę (RRRR-MM-DD).";
    err_invalid_time: "Give a time (HH:MM).", "Podaj godzinę (GG:MM).";
    err_out_of_range: "This value is out of range.", "Ta wartość jest poza zakresem.";
    err_invalid_hours: "Write hours like 09:00-17:00, several separated by commas.", "Wpisz godziny, np. 09:00-17:00, kilka oddziel przecinkami.";
    powered_by: "Online booking by Termino", "Rezerwacje online: Termino";
    close: "Close", "Zamknij";

    // The panel.
    nav_today: "Today", "Dzisiaj";
    nav_calendar: "Calendar", "Kalendarz";
    nav_clients: "Clients", "Klienci";
    nav_services: "Services", "Usługi";
    nav_staff: "Staff", "Pracownicy";
    nav_closures: "Closures", "Dni zamknięte";
    nav_settings: "Settings", "Ustawienia";
    nav_team: "Users", "Użytkownicy";
    nav_api_keys: "API keys", "Klucze API";
    saved: "Saved.", "Zapisano.";
    save: "Save", "Zapisz";
    add: "Add", "Dodaj";
    delete: "Delete", "Usuń";
    remove: "Remove", "Usuń";
    open: "Open", "Otwórz";
    yes: "yes", "tak";
    no: "no", "nie";
    none_yet: "Nothing here yet.", "Jeszcze nic tu nie ma.";
    agenda_title: "Today's agenda", "Plan dnia";
    agenda_empty: "No bookings today.", "Brak wizyt na dziś.";
    to_approve: "Waiting for your approval", "Czekają na Twoją akceptację";
    your_booking_page: "Your booking page", "Twoja strona rezerwacji";
    embed_hint: "To show it on your own site, paste:", "Aby pokazać ją na swojej stronie, wklej:";
    setup_title: "Get started", "Pierwsze kroki";
    setup_services: "Add a service", "Dodaj usługę";
    setup_staff: "Add a staff member and their hours", "Dodaj pracownika i jego godziny";
    calendar_title: "Calendar", "Kalendarz";
    view_day: "Day", "Dzień";
    view_week: "Week", "Tydzień";
    all_staff: "Everyone", "Wszyscy";
    previous: "Previous", "Poprzedni";
    next: "Next", "Następny";
    today: "Today", "Dzisiaj";
    new_booking: "New booking", "Nowa rezerwacja";
    new_booking_at: "New booking at", "Nowa rezerwacja o";
    booking_title: "Booking", "Rezerwacja";
    client: "Client", "Klient";
    staff_member: "Staff member", "Pracownik";
    date: "Date", "Data";
    time: "Time", "Godzina";
    move_booking: "Move", "Przenieś";
    move_title: "Move the booking", "Przenieś rezerwację";
    approve: "Approve", "Akceptuj";
    decline: "Decline", "Odrzuć";
    mark_completed: "Mark completed", "Oznacz jako zakończoną";
    mark_no_show: "Mark no-show", "Oznacz nieobecność";
    reason: "Reason (optional)", "Powód (opcjonalnie)";
    cancelled_by: "Cancelled by", "Odwołana przez";
    who_client: "the client", "klienta";
    who_business: "the business", "firmę";
    who_staff: "the staff member", "pracownika";
    who_system: "Termino (payment not received in time)", "Termino (brak płatności w terminie)";
    cancelled_at: "Cancelled on", "Data odwołania";
    cancelled_filter: "Cancelled bookings", "Odwołane rezerwacje";
    cancelled_shown: "Shown", "Pokazane";
    cancelled_hidden: "Hidden", "Ukryte";
    hide_cancelled: "Hide cancelled", "Ukryj odwołane";
    show_cancelled: "Show cancelled", "Pokaż odwołane";
    nav_changes: "Recent changes", "Ostatnie zmiany";
    changes_title: "Recent changes", "Ostatnie zmiany";
    changes_lead: "Bookings made, moved, cancelled, approved or declined and visits confirmed by clients in the last 14 days, newest first.", "Nowe, przeniesione, odwołane, zaakceptowane i odrzucone rezerwacje oraz wizyty potwierdzone przez klientów z ostatnich 14 dni, od najnowszych.";
    changes_empty: "No changes in the last 14 days.", "Brak zmian w ostatnich 14 dniach.";
    changes_all: "All recent changes", "Wszystkie ostatnie zmiany";
    change_created: "New booking", "Nowa rezerwacja";
    change_requested: "New booking to approve", "Nowa rezerwacja do akceptacji";
    change_rescheduled: "Moved to another time", "Zmiana terminu";
    change_cancelled: "Cancelled", "Odwołana";
    change_declined: "Declined", "Odrzucona";
    change_approved: "Approved", "Zaakceptowana";
    change_confirmed_by_client: "Visit confirmed by the client", "Wizyta potwierdzona przez klienta";
    change_by: "by", "przez";
    agenda_hour: "Daily agenda by e-mail at this hour (0–23, empty: off)", "Codzienny plan dnia e-mailem o tej godzinie (0–23, puste: wyłączony)";
    confirmed_by_client: "Confirmed by client", "Potwierdzona przez klienta";
    confirm_visit: "Confirm the visit", "Potwierdź wizytę";
    visit_confirmed: "You confirmed the visit. See you!", "Potwierdzono wizytę. Do zobaczenia!";
    reminders_title: "Reminders", "Przypomnienia";
    reminder_1_hours: "Reminder 1: hours before (0 = off)", "Przypomnienie 1: godzin przed (0 = wyłączone)";
    reminder_2_hours: "Reminder 2: hours before (0 = off)", "Przypomnienie 2: godzin przed (0 = wyłączone)";
    reminder_3_hours: "Reminder 3: hours before (0 = off)", "Przypomnienie 3: godzin przed (0 = wyłączone)";
    reminder_1_channel: "Reminder 1: sent by", "Przypomnienie 1: wysyłka";
    reminder_2_channel: "Reminder 2: sent by", "Przypomnienie 2: wysyłka";
    reminder_3_channel: "Reminder 3: sent by", "Przypomnienie 3: wysyłka";
    channel_email: "E-mail", "E-mail";
    channel_sms: "SMS", "SMS";
    channel_both: "E-mail and SMS", "E-mail i SMS";
    send_from: "Send reminders from", "Wysyłaj przypomnienia od";
    send_until: "Send reminders until (quiet hours after)", "Wysyłaj przypomnienia do (potem cisza nocna)";
    reminder_address: "Address printed in reminders", "Adres w przypomnieniach";
    err_sending_hours: "The end of the sending hours must be after their start.", "Koniec godzin wysyłki musi być po ich początku.";
    err_duplicate_reminder: "Each reminder needs its own time.", "Każde przypomnienie musi mieć inny czas.";
    err_invalid_channel: "Choose e-mail, SMS or both.", "Wybierz e-mail, SMS lub oba.";
    err_too_many_reminders: "At most three reminders.", "Najwyżej trzy przypomnienia.";
    choose_slot: "Free times", "Wolne terminy";
    choose_service_first: "Choose a service, a staff member and a day to see free times.", "Wybierz usługę, pracownika i dzień, aby zobaczyć wolne terminy.";
    existing_client: "Existing client", "Istniejący klient";
    or_new_client: "or a new client", "lub nowy klient";
    new_client: "New client", "Nowy klient";
    find: "Find", "Szukaj";
    search_clients: "Search by name, e-mail or phone", "Szukaj po imieniu, e-mailu lub telefonie";
    clients_title: "Clients", "Klienci";
    client_history: "Bookings", "Wizyty";
    client_notes: "Notes", "Notatki";
    client_marketing: "Agrees to marketing", "Zgoda na marketing";
    delete_client: "Delete this client", "Usuń klienta";
    delete_client_hint: "Deletes the client's details for good. Their past bookings stay without personal data.", "Trwale usuwa dane klienta. Jego wcześniejsze wizyty zostają bez danych osobowych.";
    confirm_delete: "I understand, delete", "Rozumiem, usuń";
    erased: "Erased", "Usunięte";
    more: "More", "Więcej";
    services_title: "Services", "Usługi";
    service_name: "Name", "Nazwa";
    description: "Description (optional)", "Opis (opcjonalnie)";
    duration_min: "Duration (minutes)", "Czas trwania (minuty)";
    price_label: "Price", "Cena";
    currency: "Currency", "Waluta";
    buffer_before: "Break before (minutes)", "Przerwa przed (minuty)";
    buffer_after: "Break after (minutes)", "Przerwa po (minuty)";
    min_notice: "Book at least this many minutes ahead", "Rezerwacja najpóźniej tyle minut przed";
    max_advance: "Book at most this many days ahead", "Rezerwacja najwyżej tyle dni naprzód";
    step: "Start times every (minutes)", "Godziny rozpoczęcia co (minuty)";
    capacity: "Places (1 for one client at a time)", "Liczba miejsc (1 – jeden klient naraz)";
    requires_approval: "Bookings need my approval", "Rezerwacje wymagają mojej akceptacji";
    active: "Active (bookable)", "Aktywna (do rezerwacji)";
    performed_by: "Performed by", "Wykonuje";
    new_service: "New service", "Nowa usługa";
    inactive: "inactive", "nieaktywna";
    staff_title: "Staff", "Pracownicy";
    new_staff: "New staff member", "Nowy pracownik";
    staff_name: "Name", "Imię i nazwisko";
    staff_active: "Active (takes bookings)", "Aktywny (przyjmuje rezerwacje)";
    working_hours: "Working hours", "Godziny pracy";
    working_hours_hint: "For example 09:00-17:00, or 09:00-13:00, 14:00-18:00. Empty means a day off.", "Np. 09:00-17:00 albo 09:00-13:00, 14:00-18:00. Puste pole to dzień wolny.";
    days_off: "Days off and changed hours", "Dni wolne i zmienione godziny";
    day_off_hours: "Hours that day (empty: day off)", "Godziny tego dnia (puste: dzień wolny)";
    day_off: "day off", "dzień wolny";
    closures_title: "Closures", "Dni zamknięte";
    closures_lead: "Days when the whole business is closed.", "Dni, w które cała firma jest zamknięta.";
    starts_on: "From", "Od";
    ends_on: "To (inclusive)", "Do (włącznie)";
    closure_reason: "Reason (for you)", "Powód (dla Ciebie)";
    polish_holidays: "Closed on Polish public holidays", "Zamknięte w polskie święta";
    settings_title: "Business settings", "Ustawienia firmy";
    nav_notices: "Notices", "Powiadomienia";
    nav_reminders: "Reminders", "Przypomnienia";
    nav_calendar_feeds: "Calendar sync", "Synchronizacja kalendarzy";
    feeds_title: "Calendar sync", "Synchronizacja kalendarzy";
    feeds_lead: "Subscribe to your bookings in Google Calendar, Apple Calendar or Outlook, and let staff members' own calendars block their busy time.", "Subskrybuj rezerwacje w Kalendarzu Google, Apple lub Outlooku i pozwól, by prywatne kalendarze pracowników blokowały ich zajęty czas.";
    feeds_active: "Calendar feeds", "Kanały kalendarza";
    feeds_none: "No calendar feeds yet.", "Nie ma jeszcze kanałów kalendarza.";
    feed_new: "New calendar feed", "Nowy kanał kalendarza";
    feed_create: "Create the feed", "Utwórz kanał";
    feed_whose: "Whose bookings", "Czyje rezerwacje";
    feed_whole_business: "The whole business", "Cała firma";
    feed_client_details: "Client details in the calendar", "Dane klienta w kalendarzu";
    feed_first_name: "The client's first name", "Imię klienta";
    feed_no_client_details: "No client details", "Bez danych klienta";
    feed_created: "created", "utworzono";
    feed_regenerate: "New address", "Nowy adres";
    feed_created_once: "Copy the address now: it will not be shown again. Anyone with it can read these bookings; if it leaks, make a new address.", "Skopiuj adres teraz: nie zostanie pokazany ponownie. Każdy, kto go zna, widzi te rezerwacje; jeśli wycieknie, utwórz nowy adres.";
    feed_https: "Address (https)", "Adres (https)";
    feed_webcal: "Address to subscribe (webcal)", "Adres do subskrypcji (webcal)";
    feed_subscribe: "Subscribe in this device's calendar", "Subskrybuj w kalendarzu tego urządzenia";
    own_calendars_title: "Staff members' own calendars", "Prywatne kalendarze pracowników";
    own_calendars_lead: "Events in a connected calendar count as busy time: nobody can book it.", "Wydarzenia z podłączonego kalendarza liczą się jako czas zajęty: nie można go zarezerwować.";
    own_calendars_none: "No calendar connected.", "Brak podłączonego kalendarza.";
    calendar_address: "Secret iCal address of the calendar", "Tajny adres iCal kalendarza";
    calendar_address_hint: "https:// or webcal://, e.g. from Google Calendar: Settings › Secret address in iCal format", "https:// lub webcal://, np. z Kalendarza Google: Ustawienia › Tajny adres w formacie iCal";
    calendar_last_sync: "last read", "ostatnio odczytany";
    calendar_failing: "Failed reads in a row: {times} (last: {why})", "Nieudane odczyty z rzędu: {times} (ostatnio: {why})";
    calendars_link: "Calendar sync", "Synchronizacja kalendarzy";
    notices_title: "E-mail notices I get", "Powiadomienia e-mail, które dostaję";
    notice_new_booking: "A new booking", "Nowa rezerwacja";
    notice_awaiting_approval: "A booking waiting for my approval", "Rezerwacja czekająca na akceptację";
    notice_rescheduled: "A booking moved to another time", "Zmiana terminu wizyty";
    notice_cancelled: "A booking cancelled", "Odwołanie wizyty";
    notice_deposit_paid: "A deposit paid", "Wpłata zaliczki";
    notice_deposit_refunded: "A deposit refunded", "Zwrot zaliczki";
    cutoff_hours: "Clients may change or cancel until (hours before)", "Klienci mogą zmienić lub odwołać do (godzin przed)";
    booking_intro: "Text at the top of your booking page", "Tekst na górze strony rezerwacji";
    privacy_url: "Address of your privacy notice", "Adres Twojej informacji o prywatności";
    consent_text: "Marketing consent to ask for (empty: do not ask)", "Zgoda marketingowa, o którą prosisz (puste: nie pytaj)";
    team_title: "Users and roles", "Użytkownicy i role";
    invite: "Invite", "Zaproś";
    invite_title: "Invite someone", "Zaproś osobę";
    role: "Role", "Rola";
    change_role: "Change role", "Zmień rolę";
    invitations: "Pending invitations", "Oczekujące zaproszenia";
    revoke: "Revoke", "Unieważnij";
    expires: "Expires", "Wygasa";
    api_keys_title: "API keys", "Klucze API";
    api_keys_lead: "Keys let your other systems use Termino's REST and GraphQL API.", "Klucze pozwalają Twoim systemom korzystać z API REST i GraphQL Termino.";
    key_name: "Name", "Nazwa";
    key_scopes: "Access", "Dostęp";
    key_all: "Everything", "Wszystko";
    key_created: "Copy the key now: it will not be shown again.", "Skopiuj klucz teraz: nie zostanie pokazany ponownie.";
    new_key: "New key", "Nowy klucz";
    last_used: "Last used", "Ostatnio użyty";
    never: "never", "nigdy";
    revoked: "revoked", "unieważniony";
    managers_only: "Only owners and admins can change this.", "Zmieniać to mogą tylko właściciele i administratorzy.";
    date_of_birth: "Date of birth (optional)", "Data urodzenia (opcjonalnie)";
    nav_plan: "Plan", "Plan";
    plan_ended: "Your plan ended on {since}. The account is read-only and your booking page takes no bookings. Your data is kept until {purge}, then deleted for good. Choose a plan to continue.", "Twój plan skończył się {since}. Konto działa tylko do odczytu, a strona rezerwacji nie przyjmuje rezerwacji. Dane przechowujemy do {purge}, potem zostaną trwale usunięte. Wybierz plan, aby kontynuować.";
    payment_label: "Payment", "Płatność";
    payment_pending: "waiting", "oczekuje";
    payment_paid: "paid", "opłacona";
    payment_expired: "not paid in time", "nieopłacona w terminie";
    payment_refund_due: "being refunded", "w trakcie zwrotu";
    payment_refunded: "refunded", "zwrócona";
    pay_month_tpay: "Pay a month with tpay (BLIK, transfer)", "Zapłać za miesiąc przez tpay (BLIK, przelew)";
    pay_year_tpay: "Pay a year with tpay (BLIK, transfer)", "Zapłać za rok przez tpay (BLIK, przelew)";
    contact_email: "Contact e-mail (clients' replies to your mail go here)", "E-mail kontaktowy (tu trafią odpowiedzi klientów na wiadomości)";
    hold_minutes: "A booking waiting for payment holds its time (minutes)", "Rezerwacja czekająca na płatność trzyma termin (minuty)";
    refund_client_cancellations: "Refund the deposit when a client cancels before the cutoff", "Zwracaj zadatek, gdy klient odwoła przed terminem";
    plan_limit: "The plan's limit is reached: the free plan has one active staff member and 100 bookings a month. Pro has no such limits.", "Osiągnięto limit planu: plan bezpłatny to jeden aktywny pracownik i 100 rezerwacji miesięcznie. Plan Pro nie ma takich limitów.";
    plan_change_blocked: "Cancel the paid plan first (card, invoices, cancellation).", "Najpierw anuluj plan płatny (karta, faktury, rezygnacja).";
    choose_free: "Keep using Termino for free: one staff member, 100 bookings a month", "Korzystaj z Termino bezpłatnie: jeden pracownik, 100 rezerwacji miesięcznie";
    pay_title: "Payment", "Płatność";
    pay_by: "to pay by", "do zapłaty do";
    pay_lead: "Your time is held until then. Pay to confirm the booking.", "Termin jest zarezerwowany do tego czasu. Zapłać, aby potwierdzić rezerwację.";
    pay_now: "Pay now", "Zapłać teraz";
    pay_failed: "The payment page could not be opened just now. Your time is still held; please try again.", "Nie udało się teraz otworzyć strony płatności. Termin jest nadal zarezerwowany; spróbuj ponownie.";
    paid_notice: "Thank you! Your payment is being confirmed.", "Dziękujemy! Płatność jest potwierdzana.";
    nav_payments: "Payments", "Płatności";
    tpay_title: "tpay (BLIK, bank transfers, cards)", "tpay (BLIK, przelewy, karty)";
    tpay_lead: "Enter your tpay merchant account's API credentials. They are stored encrypted under your business's key.", "Wpisz dane API swojego konta sprzedawcy tpay. Przechowujemy je zaszyfrowane kluczem Twojej firmy.";
    tpay_connected: "tpay connected, merchant", "tpay połączony, sprzedawca";
    tpay_merchant_id: "Merchant id", "Identyfikator sprzedawcy";
    tpay_client_id: "Client id", "Client id";
    tpay_client_secret: "Client secret", "Client secret";
    tpay_security_code: "Security code (for notifications)", "Kod bezpieczeństwa (do powiadomień)";
    payments_title: "Payments from clients", "Płatności od klientów";
    payments_lead: "Deposits and prepayments go straight to your own Stripe account. Termino never sees card data.", "Zadatki i przedpłaty trafiają prosto na Twoje konto Stripe. Termino nie widzi danych kart.";
    connect_stripe: "Connect your Stripe account", "Połącz swoje konto Stripe";
    stripe_ready: "Connected: clients can pay when booking.", "Połączone: klienci mogą płacić przy rezerwacji.";
    stripe_pending: "Connected, waiting for Stripe to enable payments.", "Połączone, czekamy aż Stripe włączy płatności.";
    payment_mode: "Online payment when booking", "Płatność online przy rezerwacji";
    payment_none: "None", "Brak";
    payment_deposit: "A deposit", "Zadatek";
    payment_full: "The full price", "Cała cena";
    deposit_amount: "Deposit amount (or leave empty and give a percentage)", "Kwota zadatku (lub zostaw puste i podaj procent)";
    deposit_percent: "Deposit, % of the price", "Zadatek, % ceny";
    err_invalid_payment: "Full payment needs a price; a deposit needs an amount up to the price or a percentage from 1 to 100.", "Pełna płatność wymaga ceny; zadatek wymaga kwoty do wysokości ceny albo procentu od 1 do 100.";
    plan_title: "Your plan", "Twój plan";
    plan_trial: "Trial", "Okres próbny";
    plan_free: "Free", "Bezpłatny";
    plan_pro: "Pro", "Pro";
    plan_state_active: "active", "aktywny";
    plan_state_past_due: "payment overdue", "zaległa płatność";
    plan_state_cancelled: "cancelled", "anulowany";
    trial_until: "Trial until", "Okres próbny do";
    paid_until: "Paid until", "Opłacony do";
    billed: "Billed", "Rozliczany";
    per_month: "monthly", "miesięcznie";
    per_year: "yearly", "rocznie";
    upgrade_title: "Go Pro", "Przejdź na Pro";
    upgrade_lead: "Priced per active staff member. You pay on Stripe's page; Termino never sees your card.", "Cena za każdego aktywnego pracownika. Płacisz na stronie Stripe; Termino nie widzi Twojej karty.";
    seats: "Staff members", "Pracownicy";
    pay_monthly: "Pay monthly with Stripe", "Płać miesięcznie przez Stripe";
    pay_yearly: "Pay yearly with Stripe", "Płać rocznie przez Stripe";
    manage_billing: "Card, invoices, cancellation (Stripe)", "Karta, faktury, rezygnacja (Stripe)";
    paid_thanks: "Thank you! Your payment is being confirmed; this page shows it once Stripe tells us.", "Dziękujemy! Płatność jest potwierdzana; ta strona pokaże ją, gdy Stripe nas powiadomi.";
    past_due_warning: "Your last payment did not go through. Update your card to keep Pro.", "Ostatnia płatność się nie powiodła. Zaktualizuj kartę, aby zachować plan Pro.";
    no_online_payment: "Online payment is not configured on this server.", "Płatności online nie są skonfigurowane na tym serwerze.";
    plan_history: "History", "Historia";
    owners_only: "Only the owner can change the plan.", "Plan może zmienić tylko właściciel.";
    // The data-processing agreement, sub-processors, the account.
    nav_dpa: "Agreement", "Umowa";
    export_owner_only: "Only an owner can export the data.", "Dane może wyeksportować tylko właściciel.";
    nav_account: "Your data", "Twoje dane";
    dpa_title: "Data-processing agreement", "Umowa powierzenia";
    dpa_lead: "Your business is the controller of its clients' data and Termino processes it for you (GDPR Art. 28). Until an owner accepts this agreement, your booking page takes no bookings and client records cannot be written.", "Twoja firma jest administratorem danych swoich klientów, a Termino przetwarza je w jej imieniu (art. 28 RODO). Dopóki właściciel nie zaakceptuje tej umowy, strona rezerwacji nie przyjmuje rezerwacji, a danych klientów nie można zapisywać.";
    dpa_required_banner: "Accept the data-processing agreement to start taking bookings.", "Zaakceptuj umowę powierzenia, aby przyjmować rezerwacje.";
    dpa_pending_banner: "A new version of the data-processing agreement is out. Accept it by {date}, or new bookings and client changes stop until you do.", "Jest nowa wersja umowy powierzenia. Zaakceptuj ją do {date}, inaczej nowe rezerwacje i zmiany danych klientów zostaną wstrzymane do czasu akceptacji.";
    dpa_accepted: "Accepted: version {version}, {date}.", "Zaakceptowana: wersja {version}, {date}.";
    dpa_version: "Version", "Wersja";
    dpa_accept: "Accept the agreement", "Akceptuję umowę";
    dpa_tax_id: "Company tax id (NIP)", "NIP firmy";
    dpa_authority: "I am authorised to accept this agreement on the company's behalf", "Jestem upoważniony(-a) do zawarcia tej umowy w imieniu firmy";
    dpa_owner_only: "Only an owner can accept the agreement.", "Umowę może zaakceptować tylko właściciel.";
    dpa_history: "Acceptances", "Akceptacje";
    dpa_download: "Download", "Pobierz";
    sub_title: "Sub-processors", "Dalsze podmioty przetwarzające";
    sub_lead: "Termino uses these companies to run the service. A change is announced to every business at least 30 days ahead, and you can object.", "Termino korzysta z tych firm przy świadczeniu usługi. Każdą zmianę ogłaszamy wszystkim firmom co najmniej 30 dni wcześniej; możesz zgłosić sprzeciw.";
    sub_name: "Name", "Nazwa";
    sub_purpose: "Purpose", "Cel";
    sub_location: "Location", "Lokalizacja";
    sub_transfer: "Transfer mechanism", "Podstawa transferu";
    sub_planned: "Planned change from {date}", "Planowana zmiana od {date}";
    sub_adds: "Adds", "Dodaje";
    sub_removes: "Removes", "Usuwa";
    sub_object: "Object to this change", "Zgłoś sprzeciw";
    sub_reason: "Why do you object?", "Uzasadnienie sprzeciwu";
    sub_objected: "You objected on {date}: \"{reason}\". Termino will answer. Until {effective} nothing changes; if the objection is not resolved by then, you may end the service before the change takes effect: export your data and delete the business.", "Sprzeciw zgłoszony {date}: \"{reason}\". Termino odpowie. Do {effective} nic się nie zmienia; jeśli sprzeciw nie zostanie rozstrzygnięty, możesz zakończyć korzystanie z usługi przed wejściem zmiany w życie: wyeksportuj dane i usuń firmę.";
    account_title: "Your data", "Twoje dane";
    export_title: "Export everything", "Eksport wszystkich danych";
    export_lead: "Everything your business has in Termino, machine-readable: one JSON file, or a CSV file per kind.", "Wszystko, co Twoja firma ma w Termino, w formie do odczytu maszynowego: jeden plik JSON albo plik CSV dla każdego rodzaju danych.";
    retention_title: "Client retention", "Przechowywanie danych klientów";
    retention_lead: "As the controller you decide how long client records are kept. Clients with no booking for this many months are deleted automatically, with their past bookings. Leave empty to keep them.", "Jako administrator decydujesz, jak długo przechowywać dane klientów. Klienci bez rezerwacji przez tyle miesięcy są usuwani automatycznie, razem z dawnymi rezerwacjami. Zostaw puste, aby ich zachować.";
    retention_months: "Months without a booking", "Miesiące bez rezerwacji";
    delete_title: "Delete the business", "Usuń firmę";
    delete_lead: "Your booking page closes at once. For 24 hours you can change your mind; then all data is deleted for good, at the latest within 5 business days, and you get a deletion certificate. Export your data first.", "Strona rezerwacji zostanie od razu zamknięta. Przez 24 godziny możesz zmienić zdanie; potem wszystkie dane zostaną trwale usunięte, najpóźniej w ciągu 5 dni roboczych, a Ty otrzymasz certyfikat usunięcia. Najpierw wyeksportuj dane.";
    delete_confirm: "I understand that all data of this business will be deleted for good", "Rozumiem, że wszystkie dane tej firmy zostaną trwale usunięte";
    delete_button: "Delete the business", "Usuń firmę";
    delete_requested: "Deletion requested on {date}. You can cancel until {grace}. The data will be deleted by {deadline} at the latest.", "Usunięcie zlecono {date}. Możesz je odwołać do {grace}. Dane zostaną usunięte najpóźniej do {deadline}.";
    delete_cancel: "Cancel the deletion", "Odwołaj usunięcie";
    closing_banner: "This business is being deleted at its owner's request. The account is read-only.", "Ta firma jest usuwana na prośbę właściciela. Konto działa tylko do odczytu.";
    read_only: "This account is read-only: {why}", "To konto działa tylko do odczytu: {why}";
    plan_ended_short: "its plan has ended. Choose a plan to continue.", "skończył się jego plan. Wybierz plan, aby kontynuować.";
    not_yet_title: "Online booking is not available yet", "Rezerwacja online nie jest jeszcze dostępna";
    not_yet_body: "This business has not started taking online bookings yet. Please contact it directly.", "Ta firma jeszcze nie przyjmuje rezerwacji online. Skontaktuj się z nią bezpośrednio.";
    // Accountability: data requests, the audit log, support access,
    // incidents, the record of processing.
    nav_requests: "Data requests", "Żądania klientów";
    nav_security: "Security", "Bezpieczeństwo";
    requests_title: "Clients' data requests", "Żądania klientów dotyczące danych";
    requests_lead: "Clients ask from the \"Your data\" link on your booking page. As the controller you decide; the law gives you one month from receipt, extendable by two months if you tell the client why within the first month.", "Klienci składają żądania przez link „Twoje dane” na stronie rezerwacji. Jako administrator decydujesz; prawo daje Ci miesiąc od otrzymania żądania, z możliwością przedłużenia o dwa miesiące, jeśli w ciągu pierwszego miesiąca wyjaśnisz klientowi powód.";
    requests_none: "No requests yet.", "Nie ma jeszcze żądań.";
    req_kind: "Request", "Żądanie";
    req_received: "Received", "Otrzymano";
    req_deadline: "Answer by", "Odpowiedź do";
    req_status: "Status", "Status";
    req_overdue: "overdue", "po terminie";
    req_open: "open", "otwarte";
    req_completed: "completed", "zrealizowane";
    req_refused: "refused", "odmowa";
    kind_access: "Copy of the data (access, export)", "Kopia danych (dostęp, eksport)";
    kind_rectification: "Correction", "Sprostowanie";
    kind_erasure: "Erasure", "Usunięcie";
    kind_restriction: "Restriction of processing", "Ograniczenie przetwarzania";
    kind_objection: "No more marketing (objection)", "Sprzeciw wobec marketingu";
    kind_withdrawal: "Withdrawal of consent", "Wycofanie zgody";
    req_what_happens_access: "Completing sends the client a JSON file with everything about them: their record, bookings, payments, requests and who looked at their data.", "Realizacja wysyła klientowi plik JSON ze wszystkimi jego danymi: kartą, rezerwacjami, płatnościami, żądaniami i informacją, kto przeglądał jego dane.";
    req_what_happens_rectification: "Completing applies the correction below to the client's record.", "Realizacja wprowadza poniższą poprawkę do karty klienta.";
    req_what_happens_erasure: "Completing erases the client and their bookings for good, with the look-up index of their e-mail and phone. Payment records stay, without the client's name or contact details.", "Realizacja trwale usuwa klienta i jego rezerwacje wraz z indeksem wyszukiwania e-maila i telefonu. Zapisy płatności zostają, bez imienia, nazwiska i danych kontaktowych.";
    req_what_happens_restriction: "Completing keeps the client's data but blocks changes and new bookings under their address until you lift the restriction.", "Realizacja zachowuje dane klienta, ale blokuje zmiany i nowe rezerwacje na jego adres do czasu zniesienia ograniczenia.";
    req_what_happens_objection: "Completing turns the client's marketing consent off.", "Realizacja wyłącza zgodę marketingową klienta.";
    req_what_happens_withdrawal: "Completing turns the client's marketing consent off.", "Realizacja wyłącza zgodę marketingową klienta.";
    req_correction: "Correction asked for", "Żądana poprawka";
    req_note: "The client wrote", "Klient napisał";
    req_complete: "Complete the request", "Zrealizuj żądanie";
    req_refuse: "Refuse", "Odmów";
    req_refuse_reason: "Why (the client is told, with their right to complain to UODO)", "Powód (klient go otrzyma wraz z informacją o prawie skargi do UODO)";
    req_extend: "Extend the deadline", "Przedłuż termin";
    req_extend_months: "By how many months (1 or 2)", "O ile miesięcy (1 lub 2)";
    req_extend_reason: "Why (the client is told)", "Powód (klient go otrzyma)";
    req_outcome: "Outcome", "Wynik";
    req_extended: "Extended: {reason}", "Przedłużono: {reason}";
    security_title: "Security and accountability", "Bezpieczeństwo i rozliczalność";
    security_lead: "Every access to your clients' data is in your audit log. Termino's support sees nothing unless you let it in, for as long as you choose.", "Każdy dostęp do danych Twoich klientów jest w dzienniku zdarzeń. Wsparcie Termino nie widzi niczego, dopóki go nie wpuścisz, i tylko na wybrany czas.";
    incidents_title: "Security incidents", "Incydenty bezpieczeństwa";
    incidents_none: "No incident has touched your data.", "Żaden incydent nie dotyczył Twoich danych.";
    incident_banner: "Security incident", "Incydent bezpieczeństwa";
    incident_open: "What to do", "Co zrobić";
    incident_clock: "72-hour deadline to notify UODO", "72 godziny na zgłoszenie do UODO";
    incident_counts: "Affected: about {subjects} clients, {records} records.", "Dotyczy: około {subjects} klientów, {records} rekordów.";
    incident_notice: "Termino's notice to you", "Zawiadomienie od Termino";
    incident_uodo: "Your notification to UODO (draft)", "Twoje zgłoszenie do UODO (projekt)";
    incident_uodo_lead: "Pre-filled from what Termino knows. Complete the marked parts and file it with UODO (biznes.gov.pl e-form or ePUAP).", "Wypełnione tym, co wie Termino. Uzupełnij oznaczone miejsca i złóż zgłoszenie do UODO (formularz na biznes.gov.pl lub ePUAP).";
    incident_client_notice: "Notice to your clients (template)", "Zawiadomienie klientów (wzór)";
    incident_send_clients: "Send it to the affected clients", "Wyślij do klientów, których dotyczy";
    incident_sent: "Sent on {date} to {n} clients.", "Wysłano {date} do {n} klientów.";
    incident_exempt: "Your clients' data was encrypted and no key was exposed: under Art. 34(3)(a) GDPR telling each client may not be required. The draft says why.", "Dane klientów były zaszyfrowane, a żaden klucz nie wyciekł: zgodnie z art. 34 ust. 3 lit. a RODO zawiadamianie każdego klienta może nie być wymagane. Projekt wyjaśnia dlaczego.";
    incident_decision: "What you did", "Co zrobiono";
    incident_decision_hint: "Notified UODO (when, with what reference), or why not. This stops the reminders.", "Zgłoszono do UODO (kiedy, z jakim numerem) albo dlaczego nie. To zatrzymuje przypomnienia.";
    incident_decided: "Recorded on {date}: {decision}", "Zapisano {date}: {decision}";
    incident_updates: "Updates from Termino", "Aktualizacje od Termino";
    audit_title: "Audit log", "Dziennik zdarzeń";
    audit_lead: "Who read or changed client data, and every log-in, key and role change. It holds identifiers, not personal data, and each entry is chained to the one before so no edit goes unnoticed.", "Kto czytał lub zmieniał dane klientów oraz każde logowanie, klucz i zmiana roli. Zawiera identyfikatory, nie dane osobowe, a każdy wpis jest powiązany z poprzednim, więc żadna zmiana nie przejdzie niezauważona.";
    audit_entries: "Entries, newest first", "Wpisy, od najnowszych";
    audit_when: "When", "Kiedy";
    audit_who: "Who", "Kto";
    audit_what: "What", "Co";
    audit_target: "Object", "Obiekt";
    audit_detail: "Detail", "Szczegóły";
    audit_older: "Older entries", "Starsze wpisy";
    audit_download: "Download the whole log (CSV)", "Pobierz cały dziennik (CSV)";
    support_title: "Support access", "Dostęp wsparcia";
    support_lead: "Let Termino's support read your data to help you, for a limited time. It ends on its own; every look is in the audit log.", "Pozwól wsparciu Termino odczytać Twoje dane, aby pomóc, na ograniczony czas. Dostęp wygasa sam; każde wejście trafia do dziennika.";
    support_hours: "For how many hours (1–168)", "Na ile godzin (1–168)";
    support_reason: "What should support look at", "Czym ma się zająć wsparcie";
    support_grant: "Let support in", "Wpuść wsparcie";
    support_revoke: "End now", "Zakończ teraz";
    support_active: "Active until {date}", "Aktywny do {date}";
    support_ended: "Ended", "Zakończony";
    records_title: "Record of processing (draft)", "Rejestr czynności przetwarzania (projekt)";
    records_lead: "Art. 30 GDPR asks you to keep a record of your processing. This draft is filled in from your account; complete the marked parts and keep it.", "Art. 30 RODO wymaga prowadzenia rejestru czynności przetwarzania. Ten projekt wypełniono danymi z Twojego konta; uzupełnij oznaczone miejsca i przechowuj go.";
    // The client's side, from the booking page.
    your_data_link: "Your data: see, correct or erase what this business holds about you", "Twoje dane: zobacz, popraw lub usuń to, co ta firma o Tobie przechowuje";
    your_data_title: "Your data", "Twoje dane";
    your_data_lead: "Enter the e-mail address you booked with. We send a link to it, so only you can ask about your data.", "Podaj adres e-mail użyty przy rezerwacji. Wyślemy na niego link, aby tylko Ty mógł(-a) pytać o swoje dane.";
    your_data_send: "Send me the link", "Wyślij link";
    your_data_sent: "If this address is right, a link is on its way. It works for 24 hours.", "Jeśli adres jest poprawny, link jest już w drodze. Działa przez 24 godziny.";
    your_data_unknown: "{business} holds no data about this e-mail address.", "{business} nie przechowuje danych o tym adresie e-mail.";
    your_data_bad_link: "This link has expired or is not valid. Ask for a new one.", "Ten link wygasł lub jest nieprawidłowy. Poproś o nowy.";
    your_data_ask: "What would you like?", "Czego chcesz?";
    your_data_name: "Your correct name (for a correction)", "Poprawne imię i nazwisko (przy sprostowaniu)";
    your_data_phone: "Your correct phone (for a correction)", "Poprawny telefon (przy sprostowaniu)";
    your_data_note: "Anything else the business should know", "Co jeszcze firma powinna wiedzieć";
    your_data_file: "Send the request", "Wyślij żądanie";
    your_data_filed: "Your request was sent. {business} must answer by {date}; you will get the answer by e-mail.", "Żądanie zostało wysłane. {business} musi odpowiedzieć do {date}; odpowiedź dostaniesz e-mailem.";
    your_data_yours: "Your requests", "Twoje żądania";
    // SMS as the owner sees it.
    nav_sms: "Text messages", "SMS";
    sms_title: "Text messages (SMS)", "Wiadomości SMS";
    sms_template_label: "Text of the SMS reminder", "Treść przypomnienia SMS";
    sms_template_hint: "Placeholders: {business} (your name), {service}, {staff} (who serves), {date}, {time}, {link} (the client's link to confirm, move or cancel).", "Pola: {business} (nazwa firmy), {service} (usługa), {staff} (kto obsługuje), {date} (dzień), {time} (godzina), {link} (link klienta do potwierdzenia, zmiany lub odwołania).";
    sms_without_polish: "Send without Polish characters (ą → a, ł → l …): a part holds 160 characters instead of 70", "Wysyłaj bez polskich znaków (ą → a, ł → l …): część mieści 160 znaków zamiast 70";
    sms_preview_title: "As the client gets it (example booking)", "Tak dostanie to klient (przykładowa wizyta)";
    sms_length_label: "Length", "Długość";
    sms_segments_label: "Parts (each billed as one SMS)", "Części (każda liczona jak jeden SMS)";
    sms_gsm7: "GSM-7: 160 characters in one SMS, 153 a part", "GSM-7: 160 znaków w jednym SMS-ie, 153 w części";
    sms_ucs2: "Unicode (Polish or other special characters): 70 in one SMS, 67 a part", "Unicode (polskie lub inne znaki specjalne): 70 znaków w jednym SMS-ie, 67 w części";
    sms_encoding_label: "Encoding", "Kodowanie";
    sms_this_month: "This month", "W tym miesiącu";
    sms_month_count: "{count} of {limit} text messages of your plan", "{count} z {limit} SMS-ów w Twoim planie";
    sms_count_button: "Count again", "Przelicz";
    sms_default_text: "The default text", "Tekst domyślny";
    sms_off: "SMS is off: no SMS gateway is configured on this server, so no text messages are sent. Reminders go by e-mail.", "SMS jest wyłączony: na tym serwerze nie skonfigurowano bramki SMS, więc SMS-y nie są wysyłane. Przypomnienia idą e-mailem.";
    sms_settings_link: "Text of the SMS reminder and this month's count", "Treść przypomnienia SMS i licznik w tym miesiącu";
    sms_replies_title: "Replies (STOP)", "Odpowiedzi (STOP)";
    sms_replies_hint: "A client who replies STOP no longer gets text messages from you. Termino's operator sets this address for incoming messages at the gateway:", "Klient, który odpowie STOP, przestaje dostawać od Ciebie SMS-y. Operator Termino ustawia ten adres dla wiadomości przychodzących w bramce SMS:";
    sms_messages: "Text messages", "SMS-y";
    sms_status_queued: "queued", "w kolejce";
    sms_status_sent: "sent", "wysłany";
    sms_status_delivered: "delivered", "doręczony";
    sms_status_failed: "not delivered", "niedoręczony";
    sms_parts: "parts", "części";
    sms_none_off: "No SMS: SMS is off (no gateway is configured on this server).", "Bez SMS-a: SMS jest wyłączony (na serwerze nie skonfigurowano bramki).";
    sms_none_no_consent: "No SMS: the client gave no phone with consent to text messages.", "Bez SMS-a: klient nie podał numeru ze zgodą na SMS-y.";
    sms_none_not_mobile: "No SMS: the client's number is not a mobile number.", "Bez SMS-a: numer klienta nie jest numerem komórkowym.";
    sms_none_limit: "No SMS: this month's text messages of the plan are used up.", "Bez SMS-a: limit SMS-ów planu na ten miesiąc jest wykorzystany.";
    sms_none_not_planned: "No SMS: the reminders are set to go by e-mail only.", "Bez SMS-a: przypomnienia są ustawione tylko e-mailem.";
    sms_will_go: "The SMS reminder goes with the reminder.", "Przypomnienie SMS wyjdzie razem z przypomnieniem.";
    client_sms_not_mobile: "This number is not a mobile number: it cannot get text messages.", "Ten numer nie jest numerem komórkowym: nie może dostawać SMS-ów.";
    client_sms_no_consent: "No consent to text messages: this client gets no SMS.", "Brak zgody na SMS-y: ten klient nie dostaje SMS-ów.";
}

pub fn ui(lang: Language) -> &'static Ui {
    match lang {
        Language::Pl => &UI_PL,
        Language::En => &UI_EN,
    }
}

const MONTHS_EN: [&str; 12] = [
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
const MONTHS_PL: [&str; 12] = [
    "styczeń",
    "luty",
    "marzec",
    "kwiecień",
    "maj",
    "czerwiec",
    "lipiec",
    "sierpień",
    "wrzesień",
    "październik",
    "listopad",
    "grudzień",
];
/// Polish dates take the genitive: "3 grudnia".
const MONTHS_PL_OF: [&str; 12] = [
    "stycznia",
    "lutego",
    "marca",
    "kwietnia",
    "maja",
    "czerwca",
    "lipca",
    "sierpnia",
    "września",
    "października",
    "listopada",
    "grudnia",
];
const WEEKDAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const WEEKDAYS_PL: [&str; 7] = [
    "poniedziałek",
    "wtorek",
    "środa",
    "czwartek",
    "piątek",
    "sobota",
    "niedziela",
];

pub fn month_title(lang: Language, year: i32, month: u32) -> String {
    let i = (month.clamp(1, 12) - 1) as usize;
    match lang {
        Language::Pl => format!("{} {year}", MONTHS_PL[i]),
        Language::En => format!("{} {year}", MONTHS_EN[i]),
    }
}

pub fn weekday_name(lang: Language, day: Weekday) -> &'static str {
    let i = day.num_days_from_monday() as usize;
    match lang {
        Language::Pl => WEEKDAYS_PL[i],
        Language::En => WEEKDAYS_EN[i],
    }
}

/// Two or three letters, for calendar columns.
pub fn weekday_short(lang: Language, day: Weekday) -> String {
    let mut chars = weekday_name(lang, day).chars().take(3);
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "Thursday, 3 December 2026" / "czwartek, 3 grudnia 2026".
pub fn long_date(lang: Language, date: NaiveDate) -> String {
    let i = date.month0() as usize;
    let day = weekday_name(lang, date.weekday());
    match lang {
        Language::Pl => format!("{day}, {} {} {}", date.day(), MONTHS_PL_OF[i], date.year()),
        Language::En => format!("{day}, {} {} {}", date.day(), MONTHS_EN[i], date.year()),
    }
}

/// An amount in minor units as people write it: "120 PLN", "99.50 EUR"
/// (a decimal comma in Polish).
pub fn money(lang: Language, minor: i64, currency: &str) -> String {
    let whole = minor / 100;
    let cents = (minor % 100).abs();
    let sep = if lang == Language::Pl { "," } else { "." };
    if cents == 0 {
        format!("{whole} {currency}")
    } else {
        format!("{whole}{sep}{cents:02} {currency}")
    }
}

/// "120", "99.50" or "99,50" to minor units; `None` if it is not an amount.
pub fn parse_money(text: &str) -> Option<i64> {
    let text = text.trim().replace(',', ".").replace(' ', "");
    if text.is_empty() || text.starts_with('-') {
        return None;
    }
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(frac)
}

/// Who cancelled a booking (its `cancelled_by`), after "cancelled by".
pub fn who_cancelled(u: &Ui, by: &str) -> &'static str {
    match by {
        "client" => u.who_client,
        "staff" => u.who_staff,
        "system" => u.who_system,
        _ => u.who_business,
    }
}

pub fn status_name(u: &Ui, status: &str) -> &'static str {
    match status {
        "requested" => u.status_requested,
        "awaiting_payment" => u.status_awaiting_payment,
        "confirmed" => u.status_confirmed,
        "completed" => u.status_completed,
        "no_show" => u.status_no_show,
        _ => u.status_cancelled,
    }
}

/// Texts for the error codes of the booking and panel use cases; `None`
/// leaves the code to [`crate::i18n::field_error`].
pub fn error_text(u: &Ui, code: &str) -> Option<&'static str> {
    Some(match code {
        "slot_taken" | "taken" => u.err_slot_taken,
        "in_past"
        | "too_soon"
        | "too_far_ahead"
        | "outside_working_hours"
        | "not_on_step_grid"
        | "closed"
        | "no_staff" => u.err_slot_unavailable,
        "contact_required" | "email_or_phone_required" => u.err_contact_needed,
        "invalid_url" => u.err_invalid_url,
        "invalid_hour" => u.err_invalid_hour,
        "invalid_payment" => u.err_invalid_payment,
        "invalid_number" => u.err_invalid_number,
        "invalid_amount" => u.err_invalid_amount,
        "invalid_date" => u.err_invalid_date,
        "invalid_time" => u.err_invalid_time,
        "out_of_range" => u.err_out_of_range,
        "before_start" => u.err_sending_hours,
        "duplicate" => u.err_duplicate_reminder,
        "invalid_channel" => u.err_invalid_channel,
        "too_many" => u.err_too_many_reminders,
        "invalid_interval" | "overlapping" | "invalid_hours" => u.err_invalid_hours,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_and_writes_both_decimal_marks() {
        assert_eq!(parse_money("120"), Some(12_000));
        assert_eq!(parse_money("99,5"), Some(9_950));
        assert_eq!(parse_money(" 99.50 "), Some(9_950));
        assert_eq!(parse_money("0.05"), Some(5));
        assert_eq!(parse_money("1.234"), None);
        assert_eq!(parse_money("-3"), None);
        assert_eq!(parse_money("abc"), None);
        assert_eq!(parse_money(""), None);
        assert_eq!(money(Language::Pl, 9_950, "PLN"), "99,50 PLN");
        assert_eq!(money(Language::En, 12_000, "EUR"), "120 EUR");
    }

    #[test]
    fn polish_dates_take_the_genitive() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap_or_default();
        assert_eq!(long_date(Language::Pl, d), "czwartek, 3 grudnia 2026");
        assert_eq!(long_date(Language::En, d), "Thursday, 3 December 2026");
        assert_eq!(month_title(Language::Pl, 2026, 12), "grudzień 2026");
        assert_eq!(weekday_short(Language::En, Weekday::Mon), "Mon");
        assert_eq!(weekday_short(Language::Pl, Weekday::Wed), "Śro");
    }
}
