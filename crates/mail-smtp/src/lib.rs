//! mail-smtp (under construction).
