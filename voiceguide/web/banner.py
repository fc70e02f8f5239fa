"""What voiceguide's servers print in the terminal: a QR code of the page to scan with a phone, and
who on the network can reach the server (with the `--host` that changes it)."""

from __future__ import annotations


def qr_lines(data: str, ansi: bool = True, border: int = 2) -> list[str]:
    """A QR code of `data` in unicode half blocks: two modules per character cell.

    With `ansi`, colours are set explicitly (black on white) so it scans on any terminal theme;
    without, light modules are drawn as blocks, as on a dark terminal (like `qrencode -t UTF8`)."""
    try:
        import segno
    except ImportError:
        return []
    qr = segno.make_qr(data, error="m", boost_error=False)
    matrix = [[bool(v) for v in row] for row in qr.matrix_iter(scale=1, border=border)]
    if len(matrix) % 2:
        matrix.append([False] * len(matrix[0]))
    lines = []
    for top, bottom in zip(matrix[0::2], matrix[1::2]):
        if ansi:  # dark modules black on a white ground
            chars = {(True, True): "\u2588", (True, False): "\u2580", (False, True): "\u2584", (False, False): " "}
            lines.append("\x1b[30;107m" + "".join(chars[t, b] for t, b in zip(top, bottom)) + "\x1b[0m")
        else:  # blocks are the light modules
            chars = {(False, False): "\u2588", (False, True): "\u2580", (True, False): "\u2584", (True, True): " "}
            lines.append("".join(chars[t, b] for t, b in zip(top, bottom)))
    return lines


def qr_banner(url: str, ansi: bool = True) -> list[str]:
    """A QR code of `url` to scan with a phone, or how to get one."""
    qr = qr_lines(url, ansi=ansi)
    if qr:
        return qr + ["", "Scan the code with your phone's camera to open the page (same network)."]
    return ["(for a QR code of the address: pip install segno)"]


def reach_note(server, command: str, what: str) -> list[str]:
    """Who can reach `server`, and how to change that with `command`'s --host."""
    if server.everywhere:
        return [
            f"Anyone on this local network can {what}. "
            f"To keep it on this machine only: {command} --host 127.0.0.1"
        ]
    if server.local_only:
        return ["Only this machine can reach it; for phones on your network leave out --host (or --host 0.0.0.0)."]
    return []
