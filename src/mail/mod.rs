//! E-mail: who hears of what (fan-out of the event outbox, moderation rounds, weekly digests),
//! the templates (`templates/mail/`), signed unsubscribe links, the SMTP transport, and the
//! worker that sends the mail queue. Like webhooks, mail goes through the outbox: a mail is
//! queued in a transaction, once per event and person (a unique key), and sent at least once.

pub mod fan_out;
pub mod rounds;
pub mod templates;
pub mod transport;
pub mod unsubscribe;
pub mod worker;
