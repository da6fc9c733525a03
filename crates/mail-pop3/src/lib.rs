//! mail-pop3 (under construction).
