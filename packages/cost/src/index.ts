export type { Architecture, CostReport, FunctionCost, Prices, Usage } from "./cost.ts";
export { compareMemory, dollars, functionCost, monthlyCost, PRICES, UsageError } from "./cost.ts";
