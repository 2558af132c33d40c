//! IMS
