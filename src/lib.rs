//! Shoutout: year-round peer recognition. Staff thank colleagues with one of the five
//! H.E.A.R.T. values; everything lives in PostgreSQL and is served over a REST API.
//!
//! The binary (`main.rs`) only reads the command line and calls into this library, so every
//! piece here can be tested, and tests start the real server on port 0 (`startup`).

pub mod api;
pub mod auth;
pub mod cli;
pub mod client;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod extract;
pub mod mail;
pub mod models;
pub mod no_nul;
pub mod pagination;
pub mod praise;
pub mod routes;
pub mod schema;
pub mod scim;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod views;
pub mod web;
pub mod webhooks;
pub mod widgets;
