//! mail-cli (under construction).
