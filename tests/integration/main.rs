//! The one integration-test binary: every test runs the real `wa-cloud` binary in a clean
//! room (see `harness`), against a fake Graph API on 127.0.0.1 where it needs one.

mod fake_graph;
mod harness;
mod server;

mod cli;
mod config;
mod delivery;
mod dev_chat;
mod dev_graph;
mod doctor;
mod fake_graph_faults;
mod generated;
mod handler;
mod hostile;
mod identity;
mod media;
mod metrics;
mod numbers;
mod outbox;
mod packaging;
mod send;
mod serve;
mod storage;
mod strangers;
mod templates;
mod tls;
