//! The Squid microcontroller board (Teensy 4.1: stage, illumination, triggers, filter wheel)
//! over its USB serial port.

pub mod protocol;
