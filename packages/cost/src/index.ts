export type { Architecture, CostReport, FunctionCost, Prices, Usage } from "./cost.ts";
export { CostInputError, compareMemory, dollars, functionCost, monthlyCost, PRICES } from "./cost.ts";
export type { Traffic } from "./render.ts";
export { averageReportedDuration, costTable, memoryComparisonTable, parseTraffic } from "./render.ts";
