/**
 * Compile-time checks of the generated client: tsc fails when the contract no longer allows what the portal does
 * (or starts allowing what it must not). Never run; type-checked in CI with the rest of the client.
 */
import { createPayConnectClient, type Problem, type Schemas } from "./index";

const api = createPayConnectClient({ baseUrl: "http://localhost:7071/api" });

export async function addPayerWithCard(firmId: string): Promise<string | Problem> {
  const payer = await api.POST("/firms/{firmId}/payers", {
    params: { path: { firmId }, header: { "Idempotency-Key": "portal-create-payer-1" } },
    body: { name: "Acme Holdings AP", email: "ap@acme.example" },
  });
  if (payer.error) {
    const fieldErrors: Record<string, string[]> | undefined = payer.error.errors;
    void fieldErrors;
    return payer.error;
  }

  const payerId: string = payer.data.id;
  const card: Schemas["CreatePaymentMethodRequest"] = { kind: "Card", token: "pm_sandbox_approve", displayName: "Visa", last4: "4242", expiryMonth: 12, expiryYear: 2030 };
  const saved = await api.POST("/firms/{firmId}/payers/{payerId}/payment-methods", { params: { path: { firmId, payerId } }, body: card });
  if (saved.data) {
    const last4: string = saved.data.last4;
    // @ts-expect-error the token never comes back
    void saved.data.token;
    return last4;
  }

  return saved.error;
}

export async function renamePayer(firmId: string, payerId: string): Promise<void> {
  const read = await api.GET("/firms/{firmId}/payers/{payerId}", { params: { path: { firmId, payerId } } });
  const etag = read.response.headers.get("ETag") ?? "*";
  await api.PUT("/firms/{firmId}/payers/{payerId}", {
    params: { path: { firmId, payerId }, header: { "If-Match": etag } },
    body: { name: "Acme Holdings Accounts Payable" },
  });
}

export async function listPayers(firmId: string, continuation?: string): Promise<Schemas["PayerResponse"][]> {
  const page = await api.GET("/firms/{firmId}/payers", { params: { path: { firmId }, query: { pageSize: 50, continuation } } });
  return page.data?.items ?? [];
}

export async function refusedAtCompileTime(firmId: string): Promise<void> {
  // @ts-expect-error a payer needs a name
  await api.POST("/firms/{firmId}/payers", { params: { path: { firmId } }, body: { email: "ap@acme.example" } });
  await api.POST("/firms/{firmId}/bank-accounts", {
    params: { path: { firmId } },
    // @ts-expect-error a bank account is Operating or Trust
    body: { name: "Savings", kind: "Savings", last4: "1234" },
  });
}
