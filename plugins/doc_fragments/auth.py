# Copyright (c) goldenimage.azure contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The matching argument spec is AUTH_ARGUMENT_SPEC in plugins/module_utils/_args.py.

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  auth_source:
    description:
      - Where the module finds the identity it acts as.
      - V(auto) tries, in this order, module options, environment variables, a profile in
        C(~/.azure/credentials), an Azure CLI login, and a managed identity announced by
        E(IDENTITY_ENDPOINT).
      - V(env) uses only environment variables. The names the AWX and Automation Controller
        C(Microsoft Azure Resource Manager) credential injects are read first
        (E(AZURE_SUBSCRIPTION_ID), E(AZURE_CLIENT_ID), E(AZURE_SECRET), E(AZURE_TENANT),
        E(AZURE_CLOUD_ENVIRONMENT)), then the names azure-identity reads
        (E(AZURE_CLIENT_SECRET), E(AZURE_TENANT_ID), E(AZURE_CLIENT_CERTIFICATE_PATH),
        E(AZURE_CLIENT_CERTIFICATE_PASSWORD), E(AZURE_FEDERATED_TOKEN_FILE)).
      - V(credential_file) uses only the profile O(profile) of C(~/.azure/credentials), an INI file
        with the keys C(subscription_id), C(client_id), C(secret), C(tenant) and
        C(cloud_environment).
      - V(cli) uses the Azure CLI login. Its access tokens are cached until five minutes before
        they expire, in C(goldenimage-azure-cli-cache.json) (mode 0600) in the CLI's
        configuration directory (E(AZURE_CONFIG_DIR) or C(~/.azure)), so that C(az) is not run for
        every task; C(az login) and C(az account set) invalidate the cache.
      - V(msi) uses the managed identity of the host (App Service style E(IDENTITY_ENDPOINT) or
        the instance metadata service); O(client_id) selects a user-assigned identity.
    type: str
    default: auto
    choices: [auto, env, credential_file, cli, msi]
  profile:
    description:
      - The profile (INI section) of C(~/.azure/credentials) to read.
      - When not set, the section C(default) is read if it exists.
    type: str
  subscription_id:
    description:
      - The Azure subscription to work in.
      - When not set, E(AZURE_SUBSCRIPTION_ID), the credentials profile, or (for the Azure CLI)
        the CLI's current subscription is used.
    type: str
  client_id:
    description:
      - The application (client) id of the service principal.
      - With O(auth_source=msi), the client id of a user-assigned managed identity.
    type: str
  secret:
    description:
      - The client secret of the service principal.
      - Never shown in messages, warnings, results or diffs.
    type: str
  tenant:
    description:
      - The Microsoft Entra tenant (directory) id of the service principal.
      - Not needed for ADFS authorities (Azure Stack Hub disconnected), whose tenant is always
        C(adfs).
    type: str
  client_certificate_path:
    description:
      - Path to a PEM file holding the certificate and private key of the service principal.
    type: path
    aliases: [x509_certificate_path]
  client_certificate_password:
    description:
      - The password of the private key in O(client_certificate_path), if it is encrypted.
    type: str
  federated_token_file:
    description:
      - Path to a file holding an OIDC token the service principal accepts as a federated
        credential (workload identity federation). The file is read again for every token
        request, so rotated tokens are picked up.
    type: path
  cloud_environment:
    description:
      - The Azure cloud, V(AzureCloud), V(AzureChinaCloud) or V(AzureUSGovernment), or the HTTPS
        URL of an Azure Resource Manager whose metadata document is at
        C(<url>/metadata/endpoints) (Azure Stack Hub).
      - The endpoints read from a metadata URL are kept for 24 hours in a per-user cache file
        (mode 0600, no secrets) in C(goldenimage.azure) under E(XDG_CACHE_HOME), default
        C(~/.cache), or in the directory E(GOLDENIMAGE_AZURE_CACHE_DIR) names, so later tasks do
        not read the document again.
      - When not set, E(AZURE_CLOUD_ENVIRONMENT), the credentials profile, or V(AzureCloud) is
        used.
    type: str
  ca_bundle:
    description:
      - Path to a PEM bundle of the certificate authorities to trust for Azure endpoints.
      - When not set, E(REQUESTS_CA_BUNDLE) is used if set, otherwise the system's defaults.
    type: path
  validate_certs:
    description:
      - Whether to verify TLS certificates. Setting V(false) is insecure, only meant for tests,
        and produces a warning.
    type: bool
    default: true
requirements:
  - python >= 3.10
  - azure-identity >= 1.16
  # Every request goes through azure-mgmt-core's ARM pipeline; no generated SDK is needed.
  - azure-mgmt-core
notes:
  - Tokens are requested once per task and shared by every request of that task.
  - Throttled requests (HTTP 429 with C(Retry-After)) and transient server errors are retried by
    the Azure SDK's retry policy.
"""
