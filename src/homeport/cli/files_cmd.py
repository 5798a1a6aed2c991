"""`homeport share ...` and `homeport smb ...` (filled in by the Files issue)."""

from __future__ import annotations

import typer

share_app = typer.Typer(help="Shared folders: list, add, edit, delete.", no_args_is_help=True)
smb_app = typer.Typer(help="The SMB file service: status and drift check.", no_args_is_help=True)
