//! mail-mime (under construction).
