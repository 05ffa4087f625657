//! What `kw` reads from the person or the pipe: tokens and secret values come from standard
//! input or a hidden prompt, never from the command line.

use std::io::{IsTerminal, Read, Write};

use crate::failure::Failure;

pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// All of standard input (a token, a secret value, a JSON document).
pub fn read_stdin(what: &str) -> Result<String, Failure> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Failure::usage(format!("cannot read {what} from standard input: {e}")))?;
    Ok(text)
}

/// Asks at the terminal without echoing what is typed.
pub fn hidden(prompt: &str) -> Result<String, Failure> {
    rpassword::prompt_password(prompt)
        .map_err(|e| Failure::usage(format!("cannot read from the terminal: {e}")))
}

/// Asks at the terminal, echoing the answer (a confirmation).
pub fn line(prompt: &str) -> Result<String, Failure> {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{prompt}");
    let _ = stderr.flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Failure::usage(format!("cannot read from the terminal: {e}")))?;
    Ok(answer.trim().to_string())
}

/// A value piped in: `echo` and here-documents end it with a newline that is not part of it.
pub fn without_final_newline(mut text: String) -> String {
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_final_newline_is_dropped() {
        assert_eq!(without_final_newline("s3cret\n".into()), "s3cret");
        assert_eq!(without_final_newline("s3cret\r\n".into()), "s3cret");
        assert_eq!(without_final_newline("two\n\n".into()), "two\n");
        assert_eq!(without_final_newline("none".into()), "none");
        assert_eq!(without_final_newline(String::new()), "");
    }
}
