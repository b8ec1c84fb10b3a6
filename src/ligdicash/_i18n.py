"""The words the CLI and the sandbox's pages show people, in French and English.

One catalog (a dict per language, the same keys in both: a test checks it), no compiled
``.mo`` files. The SDK's exception messages are not here: they go to logs and stay English.

- The CLI picks its language from ``--lang``, else ``LIGDICASH_LANG``, else the POSIX locale
  (the first set of ``LC_ALL``, ``LC_MESSAGES``, ``LANG``): ``fr*`` is French, anything else
  (``C``, ``POSIX``, unset, ``en_US``...) English.
- The sandbox's payment page and dashboard pick theirs from ``?lang=``, else the browser's
  ``Accept-Language`` (by preference weight), else English.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Optional

LANGUAGES = ("en", "fr")
DEFAULT = "en"
LANG_ENV = "LIGDICASH_LANG"

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        # The CLI.
        "cli.lang_help": "Language of the messages: fr or en (env LIGDICASH_LANG; default: "
        "the locale).",
        "cli.skipped": "skipped {problem}",
        "cli.batch_line": "batch {id}: {count} payouts, {total} XOF in all; "
        "{to_send} to send ({amount} XOF)",
        "cli.resuming": " (resuming)",
        "cli.confirm_batch": "Send {count} payouts, {amount} XOF?",
        "cli.confirm_payout": "Pay {amount} XOF to {customer} ({kind})?",
        "cli.not_confirmed": "not confirmed: nothing was sent",
        "cli.stopping": "stopping: finishing the payouts in flight...",
        "cli.recovered": "{count} payout(s) of a stopped worker are now in_doubt.",
        "cli.stopped": "stopped: {detail}",
        "cli.not_a_file": "{batch} is not a file: give the batch file, or --store with a batch id",
        "cli.no_batch": "the ledger has no batch",
        "cli.resolve_one_of": "give exactly one of --sent TOKEN or --not-sent",
        "cli.resolve_where": "give --store URL or --file BATCH_FILE",
        "cli.payout_sent": "sent; token: {token}",
        "cli.payout_in_doubt": "{error}. The payout MAY HAVE BEEN SENT: do not send it again "
        "before checking your LigdiCash dashboard",
        "cli.table_batch": "batch {id}",
        "cli.table_paused": "  (paused: {reason})",
        "cli.table_status": "status",
        "cli.table_items": "items",
        "cli.table_amount": "amount (XOF)",
        "cli.table_total": "total",
        "cli.advice_in_doubt": "{count} payout(s) are in_doubt: their request may have "
        "reached LigdiCash. They will NOT be re-sent. Find each one in your LigdiCash "
        "dashboard, then run `ligdicash payouts resolve ITEM --sent TOKEN` or `--not-sent` "
        "(`ligdicash payouts report` lists them).",
        "cli.advice_sent": "{count} payout(s) are sent but not settled yet; run the same "
        "command again later to settle them.",
        "cli.advice_paused": "Fix the cause, then run the same command again to resume.",
        "cli.progress_paying": "paying",
        "cli.progress_settling": "settling",
        "cli.progress_detail": "sent {sent}  settled {settled}  failed {failed}  "
        "in doubt {in_doubt}  {rate}/s",
        # The hosted payment page.
        "page.title": "LigdiCash - Payment",
        "page.note": "LigdiCash sandbox: no real money moves.",
        "page.item": "Item",
        "page.quantity": "Qty",
        "page.unit_price": "Unit price",
        "page.total": "Total",
        "page.pay_with": "Pay with",
        "page.pay": "Pay",
        "page.cancel": "Cancel",
        "page.state": "State:",
        "page.state_pending": "Payment pending",
        "page.state_completed": "Payment completed",
        "page.state_nocompleted": "Payment cancelled or failed",
        "page.not_found": "Invoice not found",
        "page.choose_operator": "Choose an operator.",
        "page.bad_request": "Bad request",
        "page.unknown_action": "Unknown action",
        # The dashboard.
        "dash.title": "LigdiCash sandbox",
        "dash.summary": "Platform <b>{platform}</b> - merchant balance <b id=balance>{balance}"
        "</b> XOF - API root <code>/pay/v01/</code>",
        "dash.transactions": "Transactions",
        "dash.callbacks": "Callback deliveries",
        "dash.newest_first": "(newest first)",
        "dash.col_token": "token",
        "dash.col_order_id": "order id",
        "dash.col_kind": "kind",
        "dash.col_flow": "flow",
        "dash.col_status": "status",
        "dash.col_amount": "amount",
        "dash.col_customer": "customer",
        "dash.col_operator": "operator",
        "dash.col_created": "created",
        "dash.col_actions": "actions",
        "dash.col_at": "at",
        "dash.col_transaction": "transaction",
        "dash.col_url": "url",
        "dash.col_content_type": "content type",
        "dash.col_attempt": "attempt",
        "dash.col_error": "error",
        "dash.payment_page": "payment page",
        "dash.redeliver": "redeliver callbacks",
    },
    "fr": {
        "cli.lang_help": "Langue des messages : fr ou en (env LIGDICASH_LANG ; par défaut : "
        "la locale).",
        "cli.skipped": "ligne ignorée : {problem}",
        "cli.batch_line": "lot {id} : {count} transferts, {total} XOF au total ; "
        "{to_send} à envoyer ({amount} XOF)",
        "cli.resuming": " (reprise)",
        "cli.confirm_batch": "Envoyer {count} transferts, {amount} XOF ?",
        "cli.confirm_payout": "Payer {amount} XOF à {customer} ({kind}) ?",
        "cli.not_confirmed": "non confirmé : rien n'a été envoyé",
        "cli.stopping": "arrêt : les transferts en cours se terminent...",
        "cli.recovered": "{count} transfert(s) d'un worker arrêté sont maintenant in_doubt.",
        "cli.stopped": "arrêté : {detail}",
        "cli.not_a_file": "{batch} n'est pas un fichier : donnez le fichier du lot, ou --store "
        "avec un identifiant de lot",
        "cli.no_batch": "le registre n'a aucun lot",
        "cli.resolve_one_of": "donnez soit --sent TOKEN, soit --not-sent",
        "cli.resolve_where": "donnez --store URL ou --file FICHIER_DU_LOT",
        "cli.payout_sent": "envoyé ; token : {token}",
        "cli.payout_in_doubt": "{error}. Le transfert A PEUT-ÊTRE ÉTÉ ENVOYÉ : ne le renvoyez "
        "pas avant d'avoir vérifié votre tableau de bord LigdiCash",
        "cli.table_batch": "lot {id}",
        "cli.table_paused": "  (en pause : {reason})",
        "cli.table_status": "statut",
        "cli.table_items": "transferts",
        "cli.table_amount": "montant (XOF)",
        "cli.table_total": "total",
        "cli.advice_in_doubt": "{count} transfert(s) sont in_doubt : leur requête a peut-être "
        "atteint LigdiCash. Ils ne seront PAS renvoyés. Retrouvez chacun dans votre tableau "
        "de bord LigdiCash, puis lancez `ligdicash payouts resolve ITEM --sent TOKEN` ou "
        "`--not-sent` (`ligdicash payouts report` les liste).",
        "cli.advice_sent": "{count} transfert(s) sont envoyés mais pas encore réglés ; "
        "relancez la même commande plus tard pour les régler.",
        "cli.advice_paused": "Corrigez la cause, puis relancez la même commande pour reprendre.",
        "cli.progress_paying": "paiement",
        "cli.progress_settling": "règlement",
        "cli.progress_detail": "envoyés {sent}  réglés {settled}  échoués {failed}  "
        "en doute {in_doubt}  {rate}/s",
        "page.title": "LigdiCash - Paiement",
        "page.note": "Sandbox LigdiCash : aucun argent réel ne circule.",
        "page.item": "Article",
        "page.quantity": "Qté",
        "page.unit_price": "Prix unitaire",
        "page.total": "Total",
        "page.pay_with": "Payer avec",
        "page.pay": "Payer",
        "page.cancel": "Annuler",
        "page.state": "État :",
        "page.state_pending": "Paiement en attente",
        "page.state_completed": "Paiement effectué",
        "page.state_nocompleted": "Paiement annulé ou échoué",
        "page.not_found": "Facture introuvable",
        "page.choose_operator": "Choisissez un opérateur.",
        "page.bad_request": "Requête invalide",
        "page.unknown_action": "Action inconnue",
        "dash.title": "Sandbox LigdiCash",
        "dash.summary": "Plateforme <b>{platform}</b> - solde marchand <b id=balance>{balance}"
        "</b> XOF - racine de l'API <code>/pay/v01/</code>",
        "dash.transactions": "Transactions",
        "dash.callbacks": "Envois de callbacks",
        "dash.newest_first": "(les plus récents d'abord)",
        "dash.col_token": "token",
        "dash.col_order_id": "commande",
        "dash.col_kind": "type",
        "dash.col_flow": "parcours",
        "dash.col_status": "statut",
        "dash.col_amount": "montant",
        "dash.col_customer": "client",
        "dash.col_operator": "opérateur",
        "dash.col_created": "créée",
        "dash.col_actions": "actions",
        "dash.col_at": "date",
        "dash.col_transaction": "transaction",
        "dash.col_url": "url",
        "dash.col_content_type": "type de contenu",
        "dash.col_attempt": "tentative",
        "dash.col_error": "erreur",
        "dash.payment_page": "page de paiement",
        "dash.redeliver": "renvoyer les callbacks",
    },
}


def normalize(value: Optional[str]) -> Optional[str]:
    """``"fr"`` or ``"en"`` for a language tag or locale name (``fr_FR.UTF-8``, ``en-US``,
    ``FR``), None for anything else (``C``, ``POSIX``, ``de_DE``, empty)."""
    if not value:
        return None
    primary = value.strip().lower().replace("-", "_").split("_", 1)[0].split(".", 1)[0]
    return primary if primary in LANGUAGES else None


def language_from_environ(environ: Optional[Mapping[str, str]] = None) -> str:
    """The CLI's language: ``LIGDICASH_LANG`` if it names one, else the POSIX locale.

    As POSIX decides which variable wins, the first of ``LC_ALL``, ``LC_MESSAGES`` and
    ``LANG`` that is set is the locale; ``fr*`` is French, anything else English.
    """
    env = os.environ if environ is None else environ
    override = normalize(env.get(LANG_ENV))
    if override:
        return override
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "fr" if normalize(value) == "fr" else DEFAULT
    return DEFAULT


def language_from_request(accept_language: Optional[str], override: Optional[str] = None) -> str:
    """A page's language: ``?lang=`` if it names one, else the best of ``Accept-Language``.

    ``Accept-Language: fr-FR,fr;q=0.9,en;q=0.8`` gives ``"fr"``; tags we do not have are
    skipped; a malformed header counts as absent (never an error: the page must render).
    """
    chosen = normalize(override)
    if chosen:
        return chosen
    best: Optional[tuple[float, int, str]] = None
    for position, part in enumerate((accept_language or "")[:1000].split(",")[:50]):
        tag, _, params = part.strip().partition(";")
        language = normalize(tag)
        if language is None:
            continue
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                continue
        if not 0 < weight <= 1:
            continue
        candidate = (-weight, position, language)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else DEFAULT


def message(language: str, key: str, **fields: Any) -> str:
    """The message ``key`` in ``language`` (English for a language we do not have), with
    ``fields`` filled in. Raises ``KeyError`` for an unknown key (a bug, caught by tests)."""
    text = MESSAGES.get(language, MESSAGES[DEFAULT])[key]
    return text.format(**fields) if fields else text
