import { expect } from "chai";
import { parseSchedule } from "../../../../src/sources/schedule/scheduler.ts";

describe("schedules", () => {
  const from = new Date("2026-11-27T10:02:30Z");
  it("fires rate() expressions at their interval", () => {
    expect(parseSchedule("rate(5 minutes)")(from).toISOString()).to.equal("2026-11-27T10:07:30.000Z");
    expect(parseSchedule("rate(1 hour)")(from).toISOString()).to.equal("2026-11-27T11:02:30.000Z");
  });

  it("fires cron() expressions at the next matching minute (UTC)", () => {
    expect(parseSchedule("cron(0/15 * * * ? *)")(from).toISOString()).to.equal("2026-11-27T10:15:00.000Z");
    expect(parseSchedule("cron(0 12 * * ? *)")(from).toISOString()).to.equal("2026-11-27T12:00:00.000Z");
    expect(parseSchedule("cron(30 9 1 * ? *)")(from).toISOString()).to.equal("2026-12-01T09:30:00.000Z");
  });

  it("says what it cannot parse", () => {
    expect(() => parseSchedule("every 5 minutes")).to.throw(/expected rate\(\.\.\.\) or cron\(\.\.\.\)/);
    expect(() => parseSchedule("cron(0 12 ? * MON-FRI *)")).to.throw(/not supported locally/);
  });
});
