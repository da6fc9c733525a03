//! mail-imap (under construction).
