//! `squidctl completions SHELL` and `squidctl man [COMMAND]`: generated from the same clap
//! definitions as the parser, so they cannot disagree with it.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::exit::Exit;

/// The completion script for `shell`, as checked in under `completions/`.
pub fn script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "squidctl", &mut out);
    out
}

/// File names under `completions/`, the names each shell looks for.
pub fn file_name(shell: clap_complete::Shell) -> &'static str {
    match shell {
        clap_complete::Shell::Bash => "squidctl.bash",
        clap_complete::Shell::Zsh => "_squidctl",
        clap_complete::Shell::Fish => "squidctl.fish",
        clap_complete::Shell::Elvish => "squidctl.elv",
        clap_complete::Shell::PowerShell => "_squidctl.ps1",
        _ => "squidctl.completion",
    }
}

pub fn completions(args: &CompletionsArgs) -> Exit {
    let _ = std::io::stdout().write_all(&script(args.shell));
    Exit::Completed
}

/// The roff man page of squidctl or of one of its commands.
pub fn page(command: Option<&str>) -> Result<Vec<u8>, String> {
    let root = Cli::command();
    let cmd = match command {
        None => root,
        Some(name) => {
            let sub = root.find_subcommand(name).cloned().ok_or_else(|| {
                let names: Vec<String> = root
                    .get_subcommands()
                    .map(|c| c.get_name().to_string())
                    .collect();
                format!(
                    "no command named `{name}`; {}",
                    crate::suggest::did_you_mean(name, names.iter().map(String::as_str))
                )
            })?;
            sub.name(format!("squidctl-{name}"))
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

pub fn man(args: &ManArgs) -> Exit {
    match page(args.command.as_deref()) {
        Ok(p) => {
            let _ = std::io::stdout().write_all(&p);
            Exit::Completed
        }
        Err(m) => {
            eprintln!("error: {m}");
            Exit::Invalid
        }
    }
}
