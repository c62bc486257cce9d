/**
 * "New customer": asks for the name and the email, confirms, and creates the customer. When the email
 * is already taken (409) it says so and shows the existing customer instead.
 */
import { ConfirmPrompt, ListStyle, TextPrompt, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { parseCustomerEmail, parseCustomerName } from '../src/validation/ticketFields';
import { isConflict } from '../src/gorgias/client';
import { confirmNewCustomer, customerAlreadyExists, customerCreated } from '../src/messages/tickets';
import { busyNotice, isTransient, profileForAction, reportFailure, type ActionServices } from './actionSupport';
import { showCustomer } from './findCustomer';
import { InterruptibleDialog } from './interruptibleDialog';
import { ShortChoicePrompt } from './shortChoicePrompt';
import { textValidator } from './textValidator';

export const NEW_CUSTOMER_DIALOG = 'newCustomer';
const WATERFALL = 'newCustomer.steps';
const NAME_PROMPT = 'newCustomer.name';
const EMAIL_PROMPT = 'newCustomer.email';
const CONFIRM_PROMPT = 'newCustomer.confirm';
const RETRY_PROMPT = 'newCustomer.retry';

const ASK_NAME = "What is the customer's name?";
const ASK_EMAIL = "What is the customer's email address?";
const CANCELLED = 'OK, cancelled: no customer was created.';

export interface NewCustomerOptions {
  name?: string;
  email?: string;
  confirmed?: boolean;
  notice?: string;
}

export class NewCustomerDialog extends InterruptibleDialog<NewCustomerOptions> {
  /**
   * @param showExisting whether a taken email may show the existing customer and their tickets: only
   * when "find customer" is enabled too, or creating a customer would become a way around its being off.
   */
  constructor(
    private readonly services: ActionServices,
    private readonly showExisting: boolean,
  ) {
    super(NEW_CUSTOMER_DIALOG);
    this.addDialog(new TextPrompt(NAME_PROMPT, textValidator(parseCustomerName, ASK_NAME)))
      .addDialog(new TextPrompt(EMAIL_PROMPT, textValidator(parseCustomerEmail, ASK_EMAIL)))
      .addDialog(new ConfirmPrompt(CONFIRM_PROMPT))
      .addDialog(new ShortChoicePrompt(RETRY_PROMPT))
      .addDialog(
        new WaterfallDialog<NewCustomerOptions>(WATERFALL, [
          this.askName.bind(this),
          this.askEmail.bind(this),
          this.confirm.bind(this),
          this.create.bind(this),
          this.retryOrCancel.bind(this),
        ]),
      );
    this.initialDialogId = WATERFALL;
  }

  protected helpFor(activeDialogId: string | undefined): string {
    switch (activeDialogId) {
      case NAME_PROMPT:
        return "Type the customer's full name as agents should see it, e.g. Jane Doe.";
      case EMAIL_PROMPT:
        return "Type the customer's email address, e.g. jane@example.com. Gorgias allows one customer per email.";
      case CONFIRM_PROMPT:
        return 'Answer **yes** to create the customer in Gorgias, or **no** to drop it.';
      default:
        return 'Choose **Try again** to send the same customer to Gorgias again, or **Cancel** to drop it.';
    }
  }

  protected startOverOptions(notice: string): NewCustomerOptions {
    return { notice };
  }

  protected override cancelMessage(): string {
    return CANCELLED;
  }

  private async askName(step: WaterfallStepContext<NewCustomerOptions>): Promise<DialogTurnResult> {
    const options = step.options;
    // Nobody should type a whole customer only to learn at the end that there is no usable connection.
    if (!(await profileForAction(this.services, step.context))) return step.endDialog();
    if (options.name) return step.next(options.name);
    const question = `${ASK_NAME} (Type **cancel** to stop.)`;
    return step.prompt(NAME_PROMPT, { prompt: options.notice ? `${options.notice}\n\n${question}` : question });
  }

  private async askEmail(step: WaterfallStepContext<NewCustomerOptions>): Promise<DialogTurnResult> {
    step.options.name = step.result as string;
    if (step.options.email) return step.next(step.options.email);
    return step.prompt(EMAIL_PROMPT, { prompt: ASK_EMAIL });
  }

  private async confirm(step: WaterfallStepContext<NewCustomerOptions>): Promise<DialogTurnResult> {
    step.options.email = step.result as string;
    if (step.options.confirmed) return step.next(true);
    // ConfirmPrompt picks Yes/No buttons or an inline list to suit the channel (it ignores a style option).
    return step.prompt(CONFIRM_PROMPT, { prompt: confirmNewCustomer(step.options.name as string, step.options.email) });
  }

  private async create(step: WaterfallStepContext<NewCustomerOptions>): Promise<DialogTurnResult> {
    if (step.result !== true) {
      await step.context.sendActivity(CANCELLED);
      return step.endDialog();
    }
    const name = step.options.name as string;
    const email = step.options.email as string;
    const profile = await profileForAction(this.services, step.context);
    if (!profile) return step.endDialog();

    const result = await this.services.gorgias.createCustomer(profile, { name, email }, busyNotice(step.context));
    if (result.ok) {
      await step.context.sendActivity(customerCreated(result.value));
      return step.endDialog();
    }
    if (isConflict(result.failure)) {
      const existing = this.showExisting ? await this.services.gorgias.findCustomerByEmail(profile, email, busyNotice(step.context)) : undefined;
      if (existing?.ok && existing.value) {
        await showCustomer(this.services, step.context, profile, existing.value, `find customer ${email}`, customerAlreadyExists(email));
      } else {
        await step.context.sendActivity(customerAlreadyExists(email).replace(/ Here it is:$/, ''));
      }
      return step.endDialog();
    }
    await reportFailure(this.services, step.context, profile, result.failure, { topic: { kind: 'customer', email }, isCreate: true });
    if (!isTransient(result.failure)) return step.endDialog();
    return step.prompt(RETRY_PROMPT, {
      prompt: 'What you typed is kept. Do you want to try again?',
      choices: ['Try again', 'Cancel'],
      style: ListStyle.suggestedAction,
    });
  }

  private async retryOrCancel(step: WaterfallStepContext<NewCustomerOptions>): Promise<DialogTurnResult> {
    if ((step.result as { value?: string } | undefined)?.value === 'Try again') {
      const { name, email } = step.options;
      return step.replaceDialog(WATERFALL, { name, email, confirmed: true });
    }
    await step.context.sendActivity(CANCELLED);
    return step.endDialog();
  }
}
