"""The words the CLI and the sandbox's pages show people, in French and English.

One catalog (a dict per language, the same keys in both: a test checks it), no compiled
``.mo`` files. The SDK's exception messages are not here: they go to logs and stay English.

- The CLI picks its language from ``--lang``, else ``LIGDICASH_LANG``, else the POSIX locale
  (the first set of ``LC_ALL``, ``LC_MESSAGES``, ``LANG``): ``fr*`` is French, anything else
  (``C``, ``POSIX``, unset, ``en_US``...) English.
- The sandbox's payment page and dashboard pick theirs from ``?lang=``, else the browser's
  ``Accept-Language`` (by preference weight), else the sandbox's default (English, or the
  language of ``ligdicash sandbox``: its ``--lang``, else the environment's as above).
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
        "cli.secret_in_argv": "warning: {option} on the command line is visible to every user "
        "of this machine (ps) for the whole run; use {env} or {file_option} instead",
        "cli.secret_in_argv_env": "warning: {option} holds a password, visible on the command "
        "line to every user of this machine (ps) for the whole run; use {env} instead",
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
        "cli.already_exists": "{count} of them ({items}) LigdiCash refused because a payout "
        "with this transaction_id already exists. A payout's transaction_id is "
        "<batch id>-<reference>, and the batch id is a digest of the file's rows: the same "
        "rows run again from another ledger (a new or deleted ledger file, another machine, "
        "another --store) get the same ids. Find each in the LigdiCash dashboard by its "
        "transaction_id, then record it: ligdicash payouts resolve ITEM --sent TOKEN (or "
        "--not-sent if it is not there).",
        "cli.which_ledger": "{batch} names a batch of a ledger, and no ledger is given: pass "
        "--store URL (or set LIGDICASH_PAYOUTS_STORE), or set LIGDICASH_API_KEY for the "
        "account's ledger",
        "cli.resolve_one_of": "give exactly one of --sent TOKEN or --not-sent",
        "cli.resolve_where": "give --store URL or --file BATCH_FILE",
        "cli.recent": "warning: {count} payout(s) of this batch pay a recipient the same "
        "amount as a payout less than {window} old:",
        "cli.recent_line": "  line {line}: {phone}, {amount} XOF; like {reference} in {where}, "
        "{ago} ago",
        "cli.recent_more": "  ... and {count} more",
        "cli.legacy_ledger": "{file} has the ledger of an earlier ligdicash beside it "
        "({ledger}), which the account's ledger does not know: run with --store {url} to "
        "finish or see its batches",
        "cli.duration_days": "{n} day(s)",
        "cli.duration_hours": "{n} h",
        "cli.duration_minutes": "{n} min",
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
        "cli.in_doubt_item": "  {item} ({amount} XOF): {evidence}",
        "cli.cannot_write": "cannot write {path}: {reason}",
        "cli.no_evidence": "no callback received",
        "cli.in_doubt_more": "  ... and {count} more in_doubt "
        "(`ligdicash payouts report` lists them all)",
        "cli.advice_sent": "{count} payout(s) are sent but not settled yet; run the same "
        "command again later to settle them.",
        "cli.advice_paused": "Fix the cause, then run the same command again to resume.",
        "cli.progress_paying": "paying",
        "cli.progress_settling": "settling",
        "cli.progress_detail": "sent {sent}  settled {settled}  failed {failed}  "
        "in doubt {in_doubt}  {rate}/s",
        # ligdicash sandbox.
        "sandbox.running": "[bold]LigdiCash sandbox[/bold] running (no real money moves)",
        "sandbox.dashboard": "  dashboard:  {url}",
        "sandbox.platform": "  platform:   {platform}   database: {db}",
        "sandbox.pages": "  pages:      in {lang_name} unless the browser asks for another "
        "language (?lang=fr|en)",
        "sandbox.point_sdk": 'Point the SDK at it: ligdicash.base_url = "{url}"',
        "sandbox.stop_hint": "Press Ctrl+C to stop.",
        "sandbox.stopped": "Sandbox stopped.",
        "sandbox.cannot_listen": "cannot listen on {host}:{port}: {error}",
        "sandbox.bind_warning": "warning: the sandbox listens on {host}, beyond this machine. "
        "Its control API has no authentication: anyone who can reach this port can create "
        "payments and read the callback log. Prefer --host 127.0.0.1.",
        "sandbox.language_name": "English",
        # ligdicash demo.
        "demo.sandbox_at": "Sandbox at {url} (dashboard {dashboard})",
        "demo.merchant_at": "Merchant endpoint (callbacks, return pages) at {url}",
        "demo.hosted_title": "1. Hosted payin",
        "demo.hosted_note": "(the customer pays on the LigdiCash page)",
        "demo.invoice_created": "invoice created, token {token}... ({length} chars)",
        "demo.payment_page": "payment page: {url}",
        "demo.customer_paid": "customer clicked Pay and was sent back to {url}",
        "demo.callbacks_ok": "2 callbacks received (form + JSON), status {status}, hash valid",
        "demo.status_amount": "get_transaction: {status}, {amount} XOF, custom_data {custom_data}",
        "demo.direct_title": "2. Direct payin",
        "demo.direct_note": "(phone number + OTP, Orange Money test number)",
        "demo.payment_started": "payment started, token {token}...; polling the status",
        "demo.status_operator": "get_transaction: {status} via {operator}",
        "demo.payout_title": "3. Client payout",
        "demo.payout_note": "(refund to the customer's mobile money)",
        "demo.wallet_title": "4. LigdiCash Wallet payin",
        "demo.wallet_note": "(OTP texted by LigdiCash, then paid with it)",
        "demo.wallet_otp_sent": "OTP texted to the customer's wallet: {otp}",
        "demo.payout_requested": "payout requested, token {token}...; polling the status",
        "demo.status_balance": "get_transaction: {status}, {amount} XOF; merchant balance "
        "{before} -> {after} XOF",
        "demo.failed": "demo failed: {error}",
        "demo.succeeded": "All steps succeeded.",
        "demo.nothing_left": "Nothing left this machine.",
        # ligdicash reconcile: one round (the --json line keeps its English keys).
        "reconcile.round": "claimed={claimed} polled={polled} settled={settled} "
        "pending={pending} expired={expired} in_doubt={in_doubt} errors={errors}",
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
        "dash.wallet_otps": "LigdiCash Wallet OTPs (what the customer's phone shows)",
        "dash.col_otp": "OTP",
        "dash.col_expires": "valid until",
    },
    "fr": {
        "cli.lang_help": "Langue des messages : fr ou en (env LIGDICASH_LANG ; par défaut : "
        "la locale).",
        "cli.secret_in_argv": "attention : {option} sur la ligne de commande est visible de "
        "tous les utilisateurs de cette machine (ps) pendant toute l'exécution ; utilisez "
        "plutôt {env} ou {file_option}",
        "cli.secret_in_argv_env": "attention : {option} contient un mot de passe, visible sur "
        "la ligne de commande de tous les utilisateurs de cette machine (ps) pendant toute "
        "l'exécution ; utilisez plutôt {env}",
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
        "cli.already_exists": "{count} d'entre eux ({items}) ont été refusés par LigdiCash "
        "parce qu'un transfert avec ce transaction_id existe déjà. Le transaction_id d'un "
        "transfert est <id du lot>-<référence>, et l'id du lot est une empreinte des lignes "
        "du fichier : les mêmes lignes relancées depuis un autre registre (un fichier de "
        "registre nouveau ou supprimé, une autre machine, un autre --store) reçoivent les "
        "mêmes ids. Retrouvez chacun dans le tableau de bord LigdiCash par son "
        "transaction_id, puis enregistrez-le : ligdicash payouts resolve ITEM --sent TOKEN "
        "(ou --not-sent s'il n'y est pas).",
        "cli.which_ledger": "{batch} désigne un lot d'un registre, et aucun registre n'est "
        "donné : passez --store URL (ou LIGDICASH_PAYOUTS_STORE), ou définissez "
        "LIGDICASH_API_KEY pour le registre du compte",
        "cli.resolve_one_of": "donnez soit --sent TOKEN, soit --not-sent",
        "cli.resolve_where": "donnez --store URL ou --file FICHIER_DU_LOT",
        "cli.recent": "attention : {count} transfert(s) de ce lot paient à un bénéficiaire "
        "le même montant qu'un transfert datant de moins de {window} :",
        "cli.recent_line": "  ligne {line} : {phone}, {amount} XOF ; comme {reference} dans "
        "{where}, il y a {ago}",
        "cli.recent_more": "  ... et {count} autre(s)",
        "cli.legacy_ledger": "{file} a à côté de lui le registre d'une version antérieure de "
        "ligdicash ({ledger}), que le registre du compte ne connaît pas : lancez avec --store "
        "{url} pour terminer ou consulter ses lots",
        "cli.duration_days": "{n} jour(s)",
        "cli.duration_hours": "{n} h",
        "cli.duration_minutes": "{n} min",
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
        "cli.in_doubt_item": "  {item} ({amount} XOF) : {evidence}",
        "cli.cannot_write": "impossible d'écrire {path} : {reason}",
        "cli.no_evidence": "aucun callback reçu",
        "cli.in_doubt_more": "  ... et {count} autres in_doubt "
        "(`ligdicash payouts report` les liste tous)",
        "cli.advice_sent": "{count} transfert(s) sont envoyés mais pas encore réglés ; "
        "relancez la même commande plus tard pour les régler.",
        "cli.advice_paused": "Corrigez la cause, puis relancez la même commande pour reprendre.",
        "cli.progress_paying": "paiement",
        "cli.progress_settling": "règlement",
        "cli.progress_detail": "envoyés {sent}  réglés {settled}  échoués {failed}  "
        "en doute {in_doubt}  {rate}/s",
        "sandbox.running": "[bold]Sandbox LigdiCash[/bold] en marche (aucun argent réel ne "
        "circule)",
        "sandbox.dashboard": "  tableau de bord : {url}",
        "sandbox.platform": "  plateforme : {platform}   base : {db}",
        "sandbox.pages": "  pages : en {lang_name}, sauf si le navigateur demande une autre "
        "langue (?lang=fr|en)",
        "sandbox.point_sdk": 'Pour y brancher le SDK : ligdicash.base_url = "{url}"',
        "sandbox.stop_hint": "Ctrl+C pour arrêter.",
        "sandbox.stopped": "Sandbox arrêté.",
        "sandbox.cannot_listen": "impossible d'écouter sur {host}:{port} : {error}",
        "sandbox.bind_warning": "attention : le sandbox écoute sur {host}, au-delà de cette "
        "machine. Son API de contrôle n'a pas d'authentification : quiconque atteint ce port "
        "peut créer des paiements et lire le journal des callbacks. Préférez --host 127.0.0.1.",
        "sandbox.language_name": "français",
        "demo.sandbox_at": "Sandbox sur {url} (tableau de bord {dashboard})",
        "demo.merchant_at": "Serveur du marchand (callbacks, pages de retour) sur {url}",
        "demo.hosted_title": "1. Paiement hébergé",
        "demo.hosted_note": "(le client paie sur la page LigdiCash)",
        "demo.invoice_created": "facture créée, token {token}... ({length} caractères)",
        "demo.payment_page": "page de paiement : {url}",
        "demo.customer_paid": "le client a cliqué sur Payer et a été renvoyé vers {url}",
        "demo.callbacks_ok": "2 callbacks reçus (formulaire + JSON), statut {status}, hash valide",
        "demo.status_amount": "get_transaction : {status}, {amount} XOF, custom_data {custom_data}",
        "demo.direct_title": "2. Paiement direct",
        "demo.direct_note": "(numéro de téléphone + OTP, numéro de test Orange Money)",
        "demo.payment_started": "paiement lancé, token {token}... ; interrogation du statut",
        "demo.status_operator": "get_transaction : {status} via {operator}",
        "demo.payout_title": "3. Transfert client",
        "demo.payout_note": "(remboursement sur le mobile money du client)",
        "demo.wallet_title": "4. Paiement par Wallet LigdiCash",
        "demo.wallet_note": "(OTP envoyé par SMS par LigdiCash, puis payé avec lui)",
        "demo.wallet_otp_sent": "OTP envoyé au wallet du client : {otp}",
        "demo.payout_requested": "transfert demandé, token {token}... ; interrogation du statut",
        "demo.status_balance": "get_transaction : {status}, {amount} XOF ; solde marchand "
        "{before} -> {after} XOF",
        "demo.failed": "échec de la démo : {error}",
        "demo.succeeded": "Toutes les étapes ont réussi.",
        "demo.nothing_left": "Rien n'a quitté cette machine.",
        "reconcile.round": "réservés={claimed} interrogés={polled} réglés={settled} "
        "en_attente={pending} expirés={expired} en_doute={in_doubt} erreurs={errors}",
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
        "dash.wallet_otps": "OTP du Wallet LigdiCash (ce qu'affiche le téléphone du client)",
        "dash.col_otp": "OTP",
        "dash.col_expires": "valable jusqu'à",
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


def language_from_request(
    accept_language: Optional[str], override: Optional[str] = None, default: str = DEFAULT
) -> str:
    """A page's language: ``?lang=`` if it names one, else the best of ``Accept-Language``,
    else ``default`` (a sandbox's ``SandboxConfig.language``: ``ligdicash sandbox --lang``).

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
    return best[2] if best else (normalize(default) or DEFAULT)


def message(language: str, key: str, **fields: Any) -> str:
    """The message ``key`` in ``language`` (English for a language we do not have), with
    ``fields`` filled in. Raises ``KeyError`` for an unknown key (a bug, caught by tests)."""
    text = MESSAGES.get(language, MESSAGES[DEFAULT])[key]
    return text.format(**fields) if fields else text
